"""The next occurrence of a series, inserted when `recurring.task.created` arrives."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from functions.shared.context import UnitOfWork
from functions.shared.events import EventType, PoisonEvent, payload_moment, utcnow
from functions.shared.problems import ValidationFailed
from functions.shared.recurrence import SERIES_FIELDS
from functions.todo.models import Task
from functions.todo.service import Change, emit_change
from functions.todo.validation import WRITABLE, task_fields

log = logging.getLogger(__name__)


def add_recurring_instance(snapshot: dict[str, Any], uow: UnitOfWork) -> Task | None:
    """Insert the next occurrence of a series once; its id is deterministic."""
    _require_instance_fields(snapshot)
    if uow.session.get(Task, snapshot["id"]) is not None:
        return None
    if _series_ended(uow.session, snapshot.get("parent_task_id")):
        log.info("series ended; occurrence not created", extra={"task_id": snapshot["id"]})
        return None
    fields = {k: snapshot.get(k) for k in (*SERIES_FIELDS, "parent_task_id")}
    fields["due_date"] = payload_moment(snapshot, "due_date")
    fields["reminder_time"] = payload_moment(snapshot, "reminder_time")
    now = utcnow()
    task = Task(
        id=snapshot["id"],
        user_id=snapshot["user_id"],
        created_at=now,
        updated_at=now,
        version=1,
        status="pending",
        occurrence=snapshot.get("occurrence"),
    )
    for name, value in fields.items():
        if value is not None:  # all_day and repeat_from are absent from older events
            setattr(task, name, value)
    uow.session.add(task)
    reminder = EventType.REMINDER_SCHEDULED if task.reminder_time else None
    emit_change(uow, Change(task, EventType.TASK_CREATED, reminder))
    return task


def _series_ended(session: Session, series_id: str | None) -> bool:
    """Was any task of the series deleted? Then it never grows again.

    The recurring function ends a series on `task.deleted`, but on Kafka a deletion
    and a completion of two tasks of one series sit on different partitions and
    may arrive in either order; this check, where deletions are recorded, holds
    whatever the order.
    """
    if series_id is None:
        return False
    deleted = select(Task.id).where(
        # Instances (occurrence > 1) of the series, not sub-tasks of its root.
        or_(Task.id == series_id, (Task.parent_task_id == series_id) & (Task.occurrence > 1)),
        Task.deleted_at.is_not(None),
    )
    return session.scalar(deleted.limit(1)) is not None


def _require_instance_fields(snapshot: dict[str, Any]) -> None:
    """A payload that can never become a task is poison: DROP it, don't retry it."""
    try:
        validated = task_fields(
            {k: v for k, v in snapshot.items() if k in WRITABLE and v is not None},
            creating=True,
        )
    except ValidationFailed as exc:
        raise PoisonEvent(f"recurring instance is invalid: {exc.extra['errors']}") from exc
    for name in ("id", "user_id"):
        if not isinstance(snapshot.get(name), str) or not snapshot[name]:
            raise PoisonEvent(f"recurring instance has no {name}")
    if "due_date" not in validated:
        raise PoisonEvent("recurring instance has no due_date")
