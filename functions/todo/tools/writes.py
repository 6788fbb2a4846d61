"""The tools that change tasks: add, update, complete, reopen, reschedule, delete, remind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from functions.shared.events import isoformat
from functions.todo import service
from functions.todo.commands import CompleteTask, CreateTask, DeleteTask, ReopenTask, UpdateTask
from functions.todo.execute import run_command
from functions.todo.language import Parsed
from functions.todo.models import Task
from functions.todo.tools.fields import due_string_fields, parsed_fields
from functions.todo.tools.schemas import BatchResult, NewTask, Reschedule, TaskChange
from functions.todo.tools.toolbox import Toolbox
from functions.todo.validation import task_fields


def add_tasks(box: Toolbox, tasks: list[NewTask]) -> BatchResult:
    return box.batch(tasks, lambda item: create(box, _new_fields(box, item)))


def create(box: Toolbox, body: dict[str, Any]) -> Task | None:
    fields = task_fields(body, creating=True)
    return run_command(box.ctx, service.create_task, CreateTask(box.user_id, fields))


def add_parsed(box: Toolbox, parsed: Parsed) -> Task | None:
    """The task a parsed `add` line describes (quick add, chat)."""
    return create(box, parsed_fields(parsed, box.timezone))


def update_tasks(box: Toolbox, changes: list[TaskChange]) -> BatchResult:
    return box.batch(changes, lambda item: update(box, item.id, _change_fields(box, item)))


def update(box: Toolbox, task_id: str, body: dict[str, Any]) -> Task | None:
    fields = task_fields(body, creating=False)
    command = UpdateTask(box.user_id, task_id, fields)
    return run_command(box.ctx, service.update_task, command)


def complete_tasks(box: Toolbox, ids: list[str]) -> BatchResult:
    return box.batch(ids, lambda task_id: complete(box, task_id))


def complete(box: Toolbox, task_id: str) -> Task | None:
    return run_command(box.ctx, service.complete_task, CompleteTask(box.user_id, task_id))


def reopen_tasks(box: Toolbox, ids: list[str]) -> BatchResult:
    return box.batch(ids, lambda task_id: reopen(box, task_id))


def reopen(box: Toolbox, task_id: str) -> Task | None:
    return run_command(box.ctx, service.reopen_task, ReopenTask(box.user_id, task_id))


def delete_tasks(box: Toolbox, ids: list[str]) -> BatchResult:
    return box.batch(ids, lambda task_id: delete(box, task_id))


def delete(box: Toolbox, task_id: str) -> Task | None:
    return run_command(box.ctx, service.delete_task, DeleteTask(box.user_id, task_id))


def reschedule_tasks(box: Toolbox, items: list[Reschedule]) -> BatchResult:
    return box.batch(items, lambda item: reschedule(box, item.id, _due(box, item)))


def reschedule(box: Toolbox, task_id: str, due: dict[str, Any]) -> Task | None:
    """Move the due date; the recurrence stays, and a pending reminder keeps its lead time."""
    task = box.task(task_id)
    body = dict(due)
    if task.timezone is None:  # the day of an all-day due is the user's day
        body.setdefault("timezone", box.timezone)
    if task.reminder_time and task.due_date and task.reminder_fired_at is None:
        moved = task_fields({"due_date": due["due_date"]}, creating=False)["due_date"]
        body["reminder_time"] = isoformat(moved - (task.due_date - task.reminder_time))
    return update(box, task_id, body)


def set_reminder(
    box: Toolbox, task_id: str, at: str | None = None, before_due_minutes: int | None = None
) -> Task | None:
    """Remind at `at` (RFC 3339), or `before_due_minutes` before the task is due."""
    if (at is None) == (before_due_minutes is None):
        raise ValueError("give exactly one of at and before_due_minutes")
    if at is None:
        task = box.task(task_id)
        if task.due_date is None:
            raise ValueError("the task has no due date to count back from")
        at = isoformat(task.due_date - timedelta(minutes=before_due_minutes or 0))
    return update(box, task_id, {"reminder_time": at})


def _new_fields(box: Toolbox, item: NewTask) -> dict[str, Any]:
    body = item.model_dump(exclude_none=True, exclude={"due_string"})
    if item.due_string:
        body.update(due_string_fields(item.due_string, box.timezone, box.now()))
    return body


def _change_fields(box: Toolbox, item: TaskChange) -> dict[str, Any]:
    body = item.model_dump(exclude_unset=True, exclude={"id", "due_string"})
    if item.due_string:
        body.update(due_string_fields(item.due_string, box.timezone, box.now()))
    return body


def _due(box: Toolbox, item: Reschedule) -> dict[str, Any]:
    if item.due_string:
        found = due_string_fields(item.due_string, box.timezone, box.now())
        return {k: v for k, v in found.items() if k in ("due_date", "all_day", "timezone")}
    if item.due_date:
        return {"due_date": item.due_date, "all_day": item.all_day}
    raise ValueError("give due_string or due_date")
