"""Turn request bodies and query strings into clean values, or a 422 listing every bad field."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.shared.problems import ValidationFailed
from functions.shared.recurrence import validate_recurrence
from functions.shared.web import moment, one_of
from functions.todo.models import PRIORITIES, REPEAT_FROM, STATUSES

READ_ONLY = {"id", "user_id", "version", "created_at", "updated_at", "completed_at", "occurrence"}
WRITABLE = {
    "title",
    "description",
    "status",
    "priority",
    "tags",
    "due_date",
    "all_day",
    "reminder_time",
    "timezone",
    "recurrence",
    "repeat_from",
    "parent_task_id",
}
MAX_DESCRIPTION = 10_000
MAX_TAGS = 20
MAX_RECURRENCE = 512  # the column's width


def task_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate the writable fields present in `body` (title is required when creating)."""
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name in sorted(set(body) - WRITABLE - READ_ONLY):
        errors.append({"field": name, "message": "is not a task field"})
    if creating and "title" not in body:
        errors.append({"field": "title", "message": "is required"})
    for name in sorted(WRITABLE & set(body)):
        try:
            clean[name] = _FIELDS[name](body[name])
        except ValueError as exc:
            errors.append({"field": name, "message": str(exc)})
    if errors:
        raise ValidationFailed(errors)
    return clean


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    value = value.strip()
    if len(value) > 200:
        raise ValueError("must be at most 200 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters such as line breaks")
    return value


def _description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise ValueError(f"must be a string of at most {MAX_DESCRIPTION} characters")
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValueError("must be a list of strings")
    tags = list(dict.fromkeys(t.strip() for t in value))
    if len(tags) > MAX_TAGS or any(not t or len(t) > 50 for t in tags):
        raise ValueError(f"at most {MAX_TAGS} tags, each 1-50 characters")
    return tags


def _moment(value: Any) -> datetime | None:
    """An RFC 3339 date-time that carries its UTC offset (in years 1900-9998), or None."""
    return None if value is None else moment(value)


def _timezone(value: Any) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError("must be an IANA time zone name, e.g. Europe/Berlin") from exc
    return value


def _recurrence(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError("must be null, daily, weekly, monthly or an RFC 5545 RRULE")
    if value is not None and len(value) > MAX_RECURRENCE:
        raise ValueError(f"must be at most {MAX_RECURRENCE} characters")
    return validate_recurrence(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _task_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 36:
        raise ValueError("must be a task id")
    return value


_FIELDS = {
    "title": _title,
    "description": _description,
    "status": one_of(STATUSES),
    "priority": one_of(PRIORITIES),
    "tags": _tags,
    "due_date": _moment,
    "all_day": _flag,
    "reminder_time": _moment,
    "timezone": _timezone,
    "recurrence": _recurrence,
    "repeat_from": one_of(REPEAT_FROM),
    "parent_task_id": _task_id,
}
