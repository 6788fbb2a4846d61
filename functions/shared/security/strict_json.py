"""Strict JSON request bodies: UTF-8 only, no NaN or Infinity, no duplicate keys, bounded depth,
no NUL character in any string.

Python's `json` accepts `NaN`, keeps the last of two equal keys and reads UTF-16;
each of those lets two parsers see different documents, so all are refused with
a 400 naming the problem. PostgreSQL's text cannot hold a NUL (`\u0000`), and no field
of ours means one, so a body carrying one is refused before it reaches a column.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import request

from functions.shared.problems import Problem, ValidationFailed

MAX_DEPTH = 32
TITLE = "Invalid JSON"


class _Refused(ValueError):
    pass


def loads_strict(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in `data`; Problem 400 for anything a strict parser refuses."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, TITLE, "The request body is not UTF-8.") from exc
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except _Refused as exc:
        raise Problem(400, TITLE, str(exc)) from exc
    except RecursionError as exc:
        raise Problem(400, TITLE, f"The body is nested deeper than {max_depth} levels.") from exc
    except ValueError as exc:
        raise Problem(400, TITLE, f"The request body is not valid JSON: {exc}") from exc
    deepest, nul = scan(value)
    if deepest > max_depth:
        raise Problem(400, TITLE, f"The body is nested deeper than {max_depth} levels.")
    if nul:
        raise Problem(400, TITLE, "The body holds a NUL character (\\u0000) in a string.")
    return value


def strict_json_object(data: bytes, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A JSON object body: 400 as `loads_strict`, 422 if it is valid JSON but no object."""
    value = loads_strict(data or b"null", max_depth)
    if not isinstance(value, dict):
        raise ValidationFailed([{"field": "body", "message": "must be a JSON object"}])
    return value


def request_json_object(max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The current Flask request's body, read by `strict_json_object`."""
    return strict_json_object(request.get_data(), max_depth)


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (a scalar is 0)."""
    return scan(value)[0]


def scan(value: Any) -> tuple[int, bool]:
    """How deeply arrays and objects nest in `value`, and whether a string (a key or a
    value) holds a NUL character."""
    deepest, nul, stack = 0, False, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            nul = nul or "\x00" in item
        elif isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            children = [*item, *item.values()] if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest, nul


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON: send a number or null.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"{text} is too large a number.")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"The key {key!r} appears twice in one object.")
        result[key] = value
    return result
