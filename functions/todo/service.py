"""The todo service's handlers: each takes a command and a unit of work, decides, emits.

Every state change emits its task event on `task-events` and `task-updates`,
and a `reminder.*` event on `reminders` when the reminder is set, moved or
cleared. The unit of work writes them to the outbox in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from functions.shared.context import UnitOfWork
from functions.shared.events import (
    Event,
    EventType,
    Topic,
    utcnow,
)
from functions.shared.problems import Problem
from functions.todo.commands import (
    CompleteTask,
    CreateTask,
    DeleteTask,
    ReopenTask,
    UpdateTask,
)
from functions.todo.models import Task
from functions.todo.reminders import reminder_event
from functions.todo.rules import apply_fields, check_version, number_series

log = logging.getLogger(__name__)


@dataclass
class Change:
    """What a handler did to a task, to be told as events."""

    task: Task
    event_type: EventType | None = None
    reminder: EventType | None = None
    cleared_reminder: datetime | None = None  # the time a cleared reminder had


def create_task(cmd: CreateTask, uow: UnitOfWork) -> Task:
    now = utcnow()
    task = Task(
        id=str(uuid.uuid4()),
        user_id=cmd.user_id,
        created_at=now,
        updated_at=now,
        version=1,
        status="pending",
        priority="medium",
        description="",
        tags=[],
    )
    apply_fields(uow.session, task, cmd.fields)
    if task.status == "complete":
        task.completed_at = now
    number_series(task)
    uow.session.add(task)
    reminder = EventType.REMINDER_SCHEDULED if task.reminder_time else None
    emit_change(uow, Change(task, EventType.TASK_CREATED, reminder))
    return task


def update_task(cmd: UpdateTask, uow: UnitOfWork) -> Task:
    task = load_task(uow.session, cmd.user_id, cmd.task_id, for_update=True)
    check_version(task, cmd.if_match)
    before = task.snapshot()
    old_reminder, was_complete = task.reminder_time, task.status == "complete"
    was_pending = _if_reminder_pending(task, EventType.REMINDER_CANCELLED)
    apply_fields(uow.session, task, cmd.fields)
    number_series(task)
    if task.snapshot() == before:
        return task
    change = Change(task, EventType.TASK_UPDATED)
    if task.status == "complete" and not was_complete:
        task.completed_at = utcnow()
        change.event_type = EventType.TASK_COMPLETED
        # the reminder it had is cancelled, even when this same change clears or moves it
        change.reminder, change.cleared_reminder = was_pending, old_reminder
    elif task.status != "complete" and was_complete:
        task.completed_at = None
        change.event_type = EventType.TASK_REOPENED
        if task.reminder_time != old_reminder:
            task.reminder_fired_at = None  # a new time is a new reminder, not yet fired
        change.reminder = _if_reminder_pending(task, EventType.REMINDER_SCHEDULED)
    if task.reminder_time != old_reminder and change.event_type == EventType.TASK_UPDATED:
        task.reminder_fired_at = None
        if task.reminder_time and task.status != "complete":
            change.reminder = EventType.REMINDER_SCHEDULED
        elif old_reminder:
            change.reminder, change.cleared_reminder = EventType.REMINDER_CANCELLED, old_reminder
    _bump(task)
    emit_change(uow, change)
    return task


def complete_task(cmd: CompleteTask, uow: UnitOfWork) -> Task:
    """Idempotent: completing a complete task changes nothing and emits nothing."""
    task = load_task(uow.session, cmd.user_id, cmd.task_id, for_update=True)
    if task.status == "complete":
        return task
    check_version(task, cmd.if_match)
    task.status, task.completed_at = "complete", utcnow()
    reminder = _if_reminder_pending(task, EventType.REMINDER_CANCELLED)
    _bump(task)
    emit_change(uow, Change(task, EventType.TASK_COMPLETED, reminder))
    return task


def reopen_task(cmd: ReopenTask, uow: UnitOfWork) -> Task:
    """Idempotent: reopening a task that is not complete changes nothing."""
    task = load_task(uow.session, cmd.user_id, cmd.task_id, for_update=True)
    if task.status != "complete":
        return task
    check_version(task, cmd.if_match)
    task.status, task.completed_at = "pending", None
    reminder = _if_reminder_pending(task, EventType.REMINDER_SCHEDULED)
    _bump(task)
    emit_change(uow, Change(task, EventType.TASK_REOPENED, reminder))
    return task


def delete_task(cmd: DeleteTask, uow: UnitOfWork) -> Task:
    task = load_task(uow.session, cmd.user_id, cmd.task_id, for_update=True)
    check_version(task, cmd.if_match)
    # completing already cancelled a pending reminder: do not announce it twice
    reminder = (
        _if_reminder_pending(task, EventType.REMINDER_CANCELLED)
        if task.status != "complete"
        else None
    )
    task.deleted_at = utcnow()
    _bump(task)
    emit_change(uow, Change(task, EventType.TASK_DELETED, reminder))
    return task


def load_task(session: Session, user_id: str, task_id: str, for_update: bool = False) -> Task:
    """The user's live task, or 404: another user's task does not exist for them."""
    query = select(Task).where(
        Task.id == task_id, Task.user_id == user_id, Task.deleted_at.is_(None)
    )
    task = session.scalars(query.with_for_update() if for_update else query).first()
    if task is None:
        raise Problem(404, "Not Found", f"Task {task_id} does not exist.")
    return task


def _if_reminder_pending(task: Task, event_type: EventType) -> EventType | None:
    """`event_type` when the task has a reminder that has not fired, else None (completing
    cancels such a reminder, reopening schedules it again)."""
    return event_type if task.reminder_time and task.reminder_fired_at is None else None


def _bump(task: Task) -> None:
    task.version += 1
    task.updated_at = utcnow()


def emit_change(uow: UnitOfWork, change: Change) -> None:
    """Tell what `change` did as events, written to the outbox with this unit of work."""
    uow.session.flush()
    task = change.task
    log.info(
        "task %s",
        (change.event_type or "unchanged").removeprefix("task."),
        extra={"task_id": task.id, "version": task.version},
    )
    if change.event_type:
        event = Event(change.event_type, task.id, task.user_id, task.snapshot())
        uow.emit(event, Topic.TASK_EVENTS, Topic.TASK_UPDATES)
    if change.reminder:
        event = reminder_event(change.reminder, task, change.cleared_reminder)
        uow.emit(event, Topic.REMINDERS)
