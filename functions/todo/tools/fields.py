"""From what a tool was given to the REST API's task fields, so the same validation applies.

A parsed line (`Parsed`) or a `due_string` becomes JSON-like fields (RFC 3339 strings)
that `functions.todo.validation.task_fields` then checks exactly as for a REST body.
A due without a time stays a day (`all_day`), in the user's time zone.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from functions.shared.events import isoformat
from functions.todo.language import Parsed, parse

NOON = time(12)  # any time of an all-day due's day: the service keeps the day's end


def parsed_fields(parsed: Parsed, timezone: str) -> dict[str, Any]:
    """The task fields a parsed line asks for (title, due, repeat, reminder, priority, tags)."""
    body: dict[str, Any] = {}
    if parsed.title:
        body["title"] = parsed.title
    body.update(when_fields(parsed, timezone))
    if parsed.priority:
        body["priority"] = parsed.priority
    if parsed.tags:
        body["tags"] = list(parsed.tags)
    return body


def when_fields(parsed: Parsed, timezone: str) -> dict[str, Any]:
    """Due date, all-day flag, time zone, recurrence and reminder of a parsed line."""
    body: dict[str, Any] = {}
    due = None
    if parsed.due is not None:
        due = parsed.due.moment() or parsed.due.moment(NOON)
        body.update(due_date=isoformat(due), all_day=parsed.due.all_day, timezone=timezone)
    if parsed.recurrence:
        body.update(recurrence=parsed.recurrence, timezone=timezone)
        body["repeat_from"] = "completion" if parsed.recur_from_completion else "due"
    if parsed.reminder is not None:
        at = parsed.reminder.resolve(due)
        if at is not None:
            body["reminder_time"] = isoformat(at)
    return body


def due_string_fields(text: str, timezone: str, now: datetime) -> dict[str, Any]:
    """The fields of `text` read as a date: ValueError when it names none."""
    # Read as the date of a task ("friday" alone would read as a request to list Friday's).
    parsed = parse(f"task {text}", now, timezone)
    found = when_fields(parsed, timezone)
    if "due_date" not in found:
        raise ValueError(f"no date understood in {text!r}; try 'tomorrow 5pm' or 'jan 27'")
    return found


def local_now(timezone: str, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(timezone))
