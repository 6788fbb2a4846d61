"""What the apps' query APIs read from a request: the caller, JSON bodies, filters, cursors.

The caller is the subject of the request's verified bearer token
(`functions.shared.identity`); no header names a user or a role.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.orm import Session

from functions.shared.events import parse_moment
from functions.shared.identity.web import current_admin, current_caller
from functions.shared.problems import ValidationFailed
from functions.shared.security.strict_json import request_json_object

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")
R = TypeVar("R")


def caller_id() -> str:
    """The calling user's id (the token's `sub`), or 401."""
    return current_caller().user_id


def caller_is_admin() -> bool:
    return current_caller().is_admin


def require_admin() -> str:
    """The calling administrator's id: 401 without a valid token, 403 for anyone else."""
    return current_admin().user_id


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, read strictly (no NaN, no duplicate keys): 400 if
    it is not such JSON, 422 if it is no object."""
    return request_json_object()


def query_values(args: Mapping[str, str], parsers: Mapping[str, Callable[[str], Any]]) -> dict:
    """Parse the present, non-empty `args` named in `parsers`; one 422 lists every bad one."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, parse in parsers.items():
        if args.get(name) in (None, ""):
            continue
        if "\x00" in args[name]:
            errors.append({"field": name, "message": "must not contain a NUL character"})
            continue
        try:
            values[name] = parse(args[name])
        except ValueError as exc:
            errors.append({"field": name, "message": str(exc)})
    if errors:
        raise ValidationFailed(errors)
    return values


def one_of(options: Sequence[str]) -> Callable[[Any], str]:
    """A parser accepting exactly one of `options` (ValueError naming them otherwise)."""

    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return check


def limit(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


EARLIEST_YEAR, LATEST_YEAR = 1900, 9998


def moment(value: Any) -> datetime:
    """An RFC 3339 date-time with its offset, in the years a task can sensibly name;
    ValueError (a 422 naming the field or parameter) otherwise."""
    parsed = parse_moment(value)
    if not EARLIEST_YEAR <= parsed.astimezone(UTC).year <= LATEST_YEAR:
        raise ValueError(f"must be a date-time between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return parsed


def encode_cursor(*position: Any) -> str:
    """An opaque keyset cursor for the last item of a page."""
    raw = json.dumps(position, default=_jsonable).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> list[Any]:
    """The position `encode_cursor` wrapped; ValueError for anything else."""
    try:
        position = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValueError("is not a cursor this API returned") from exc
    if not isinstance(position, list):
        raise ValueError("is not a cursor this API returned")
    return position


def moment_cursor(value: str, key_type: type[T]) -> tuple[datetime, T]:
    """The `(moment, key)` position of a cursor made by `fetch_page`; ValueError otherwise."""
    position = decode_cursor(value)
    if len(position) != 2 or type(position[1]) is not key_type or not _storable(position[1]):
        raise ValueError("is not a cursor this API returned")
    try:
        return parse_moment(position[0]), position[1]
    except ValueError as exc:
        raise ValueError("is not a cursor this API returned") from exc


def after_cursor(
    cursor: tuple[datetime, Any],
    moment: ColumnElement[Any],
    key: ColumnElement[Any],
    *,
    descending: bool = False,
) -> ColumnElement[bool]:
    """The keyset condition for the rows after `cursor` in `(moment, key)` order."""
    at, last = cursor
    if descending:
        return or_(moment < at, (moment == at) & (key < last))
    return or_(moment > at, (moment == at) & (key > last))


def fetch_page(
    session: Session,
    statement: Select[tuple[R]],
    limit: int,
    position: Callable[[R], tuple[datetime, Any]],
) -> tuple[list[R], str | None]:
    """One page of `statement` (ordered), and the next page's cursor (None at the end):
    one row more than the page is fetched to know whether another page follows."""
    rows = session.scalars(statement.limit(limit + 1)).all()
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(*position(page[-1]))


def _storable(key: Any) -> bool:
    """Whether a cursor's key fits the column it is compared with (a BIGINT for numbers, text
    without a NUL)."""
    if isinstance(key, str):
        return "\x00" not in key
    return not isinstance(key, int) or -(2**63) <= key < 2**63


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be part of a cursor")
