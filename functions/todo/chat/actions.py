"""What the chat does to the one task a message means, through the task tools."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel

from functions.shared.events import isoformat
from functions.todo.chat.replies import line
from functions.todo.language import Parsed
from functions.todo.tools import catalog
from functions.todo.tools.fields import NOON, when_fields
from functions.todo.tools.schemas import BatchResult, Reschedule, TaskChange, TaskOut
from functions.todo.tools.toolbox import Toolbox

Record = Callable[[str, dict[str, Any], BaseModel], BaseModel]


def perform(box: Toolbox, parsed: Parsed, task: TaskOut, record: Record) -> str:
    """Do what `parsed` asks of `task`; the reply says what happened."""
    verb = parsed.intent
    if verb in ("complete", "reopen", "delete"):
        tool = f"{verb}_tasks"
        result = record(tool, {"ids": [task.id]}, getattr(catalog, tool)(box, [task.id]))
        past = {"complete": "Completed", "reopen": "Reopened", "delete": "Deleted"}[verb]
        return _said(result, f"{past}: {task.title}.")
    if verb == "rename":
        return _change(box, record, TaskChange(id=task.id, title=parsed.title or None), "Renamed")
    if verb == "repeat":
        return _repeat(box, parsed, task, record)
    if verb == "reschedule":
        return _reschedule(box, parsed, task, record)
    return _remind(box, parsed, task, record)


def describe(task: TaskOut, box: Toolbox) -> str:
    return line(task, box.timezone)


def _change(box: Toolbox, record: Record, change: TaskChange, done: str) -> str:
    args = change.model_dump(exclude_none=True)
    result = record("update_tasks", {"tasks": [args]}, catalog.update_tasks(box, [change]))
    return _said(result, done)


def _repeat(box: Toolbox, parsed: Parsed, task: TaskOut, record: Record) -> str:
    if not parsed.recurrence:
        return 'How often? For example "make 2 repeat every monday".'
    fields = when_fields(parsed, box.timezone)
    change = TaskChange(
        id=task.id, recurrence=parsed.recurrence, repeat_from=fields.get("repeat_from")
    )
    if task.due_date is None:  # a series needs a first due date: the rule's first day
        change.due_date = fields.get("due_date")
    return _change(box, record, change, "Now repeating")


def _reschedule(box: Toolbox, parsed: Parsed, task: TaskOut, record: Record) -> str:
    if parsed.due is not None:
        # A new day for a task due at a time keeps its time ("move 2 to friday").
        kept = _local_time(task, box) if parsed.due.all_day and not task.all_day else None
        due = parsed.due.moment(kept) or parsed.due.moment(NOON)
        assert due is not None
        all_day = parsed.due.all_day and kept is None
        item = Reschedule(id=task.id, due_date=isoformat(due), all_day=all_day)
    elif parsed.shift is not None and task.due_date:
        current = datetime.fromisoformat(task.due_date.replace("Z", "+00:00"))
        shift = parsed.shift
        moved = current + relativedelta(months=shift.months, days=shift.days, minutes=shift.minutes)
        item = Reschedule(id=task.id, due_date=isoformat(moved), all_day=task.all_day)
    else:
        return 'To when? For example "move 2 to friday" or "postpone 2 by 2 days".'
    args = item.model_dump(exclude_none=True)
    result = record("reschedule_tasks", {"tasks": [args]}, catalog.reschedule_tasks(box, [item]))
    return _said(result, "Moved")


def _remind(box: Toolbox, parsed: Parsed, task: TaskOut, record: Record) -> str:
    reminder = parsed.reminder
    if reminder is None:
        return 'When? For example "remind me about 2 in 1 hour".'
    if reminder.at is not None:
        args: dict[str, Any] = {"id": task.id, "at": isoformat(reminder.at)}
    else:
        minutes = int((reminder.before or timedelta()).total_seconds() // 60)
        args = {"id": task.id, "before_due_minutes": minutes}
    updated = record("set_reminder", args, catalog.set_reminder(box, **args))
    assert isinstance(updated, TaskOut)
    return f"I will remind you about {updated.title} at {_local(updated.reminder_time, box)}."


def _local_time(task: TaskOut, box: Toolbox) -> time | None:
    if task.due_date is None:
        return None
    due = datetime.fromisoformat(task.due_date.replace("Z", "+00:00"))
    return due.astimezone(ZoneInfo(task.timezone or box.timezone)).time().replace(tzinfo=None)


def _said(result: BaseModel, done: str) -> str:
    assert isinstance(result, BatchResult)
    outcome = result.results[0]
    if not outcome.ok:
        return f"That did not work: {outcome.error}."
    if outcome.task is None or done.endswith("."):
        return done
    return f"{done}: {outcome.task.title}."


def _local(moment: str | None, box: Toolbox) -> str:
    if moment is None:
        return "no time"
    local = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(ZoneInfo(box.timezone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"
