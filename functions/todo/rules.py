"""The rules a task's fields obey together, whichever handler changes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from functions.shared.problems import Problem, ValidationFailed
from functions.shared.recurrence import end_of_day
from functions.todo.models import Task


def apply_fields(session: Session, task: Task, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        setattr(task, name, value)
    if task.all_day and task.due_date is not None:
        task.due_date = end_of_day(task.due_date, task.timezone)
    errors = []
    if task.recurrence and task.due_date is None:
        errors.append({"field": "due_date", "message": "is required for a recurring task"})
    if task.parent_task_id and not _owns(session, task.user_id, task.parent_task_id):
        errors.append({"field": "parent_task_id", "message": "is not one of your tasks"})
    if errors:
        raise ValidationFailed(errors)


def _owns(session: Session, user_id: str, task_id: str) -> bool:
    return (
        session.scalar(select(Task.id).where(Task.id == task_id, Task.user_id == user_id))
        is not None
    )


def number_series(task: Task) -> None:
    """A task that is (or becomes) recurring is occurrence 1 of its series."""
    if task.recurrence and task.due_date and task.occurrence is None:
        task.occurrence = 1


def check_version(task: Task, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if task.etag not in wanted:
        raise Problem(
            412,
            "Precondition Failed",
            f"The task is at version {task.version}; reload it and try again.",
            current_version=task.version,
        )
