"""The recurring handlers: completing an occurrence announces the next; deleting ends the series.

A series is keyed by its root task's id and locked for the length of the
transaction, so concurrent completions of one series are decided one at a time.
The next due date is computed from the completed task's own due date in the task's
time zone, or, for a series that repeats from completion (`every!`), from the day it
was completed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from functions.recurring.models import Series
from functions.recurring.snapshots import TaskSnapshot, next_instance
from functions.shared.context import UnitOfWork
from functions.shared.events import Event, EventType, PoisonEvent, Topic, utcnow
from functions.shared.idempotency import insert_new
from functions.shared.recurrence import next_occurrence

HANDLED = (EventType.TASK_COMPLETED, EventType.TASK_DELETED)


def on_task_event(event: Event, uow: UnitOfWork) -> None:
    task = TaskSnapshot.from_payload(event.payload)
    if event.event_type == EventType.TASK_COMPLETED:
        schedule_next(task, uow)
    elif task.in_series:
        end_series(lock_series(uow.session, task), "deleted")


def schedule_next(task: TaskSnapshot, uow: UnitOfWork) -> Event | None:
    """Announce the occurrence after `task`, once; None when there is none to announce."""
    if not task.recurrence or task.due is None:
        return None
    series = lock_series(uow.session, task)
    if not series.active or task.occurrence < series.last_occurrence:
        return None
    due = _next_due(task, series)
    if due is None:
        end_series(series, "finished")
        return None
    event = next_instance(task, series.id, task.occurrence + 1, due)
    _advance(series, task, event, due)
    uow.emit(event, Topic.TASK_EVENTS)
    return event


def lock_series(session: Session, task: TaskSnapshot) -> Series:
    """The task's series, created on first sight, locked until the transaction ends."""
    now = utcnow()
    insert_new(
        session,
        Series,
        id=task.series_id,
        user_id=task.user_id,
        frequency=task.recurrence,
        timezone=task.timezone,
        series_start=task.due if task.occurrence <= 1 else None,
        last_occurrence=task.occurrence,
        last_task_id=task.id,
        active=True,
        created_at=now,
        updated_at=now,
    )
    series = session.get(Series, task.series_id, with_for_update=True, populate_existing=True)
    assert series is not None
    return series


def end_series(series: Series, reason: str) -> None:
    """No occurrence after this one, ever: a later completion finds the series inactive."""
    if series.active:
        series.active, series.ended_reason, series.next_due = False, reason, None
        series.updated_at = utcnow()


def _next_due(task: TaskSnapshot, series: Series) -> datetime | None:
    assert task.recurrence is not None and task.due is not None
    try:
        anchor = task.anchor() or task.due
        return next_occurrence(
            task.recurrence,
            anchor,
            tz=task.timezone,
            occurrence=task.occurrence,
            series_start=series.series_start if anchor == task.due else anchor,
        )
    except (ValueError, KeyError) as exc:  # a bad rule or an unknown zone can never succeed
        raise PoisonEvent(f"cannot compute the next occurrence: {exc}") from exc


def _advance(series: Series, task: TaskSnapshot, event: Event, due: datetime) -> None:
    series.frequency, series.timezone = task.recurrence, task.timezone
    series.last_occurrence = event.payload["occurrence"]
    series.last_task_id = event.task_id
    series.next_due = due
    series.updated_at = utcnow()
