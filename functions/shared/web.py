"""What the apps' query APIs read from a request: the caller, JSON bodies, filters, cursors.

The caller is who the `X-User-Id` header says (and `X-User-Role: admin` for an
administrator). A later security change swaps these two functions for token
checks; nothing else reads those headers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from flask import request
from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.orm import Session

from functions.shared.events import parse_moment
from functions.shared.problems import Problem, ValidationFailed

MAX_USER_ID = 128
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")
R = TypeVar("R")


def caller_id() -> str:
    """The calling user's id, or 401."""
    user_id = request.headers.get("X-User-Id", "").strip()
    if not user_id or len(user_id) > MAX_USER_ID:
        raise Problem(401, "Unauthorized", "Send your user id in the X-User-Id header.")
    return user_id


def caller_is_admin() -> bool:
    return request.headers.get("X-User-Role", "").strip().lower() == "admin"


def require_admin() -> str:
    """The calling administrator's id: 401 without a caller, 403 for anyone else."""
    user_id = caller_id()
    if not caller_is_admin():
        raise Problem(403, "Forbidden", "Only an administrator may do this.")
    return user_id


def json_object() -> dict[str, Any]:
    """The request body as a JSON object: 400 if it is not JSON, 422 if not an object."""
    try:
        body = json.loads(request.get_data() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Invalid JSON", f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValidationFailed([{"field": "body", "message": "must be a JSON object"}])
    return body


def query_values(args: Mapping[str, str], parsers: Mapping[str, Callable[[str], Any]]) -> dict:
    """Parse the present, non-empty `args` named in `parsers`; one 422 lists every bad one."""
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, parse in parsers.items():
        if args.get(name) in (None, ""):
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


moment = parse_moment  # its PoisonEvent is a ValueError: a 422 naming the parameter


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
    if len(position) != 2 or type(position[1]) is not key_type:
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be part of a cursor")
