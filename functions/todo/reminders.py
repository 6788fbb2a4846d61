"""Reminders: a sweep that fires what is due, at the time each is due.

The sweep claims due reminders and, in one transaction, marks them fired and
writes `reminder.due` to the outbox; `SKIP LOCKED` lets several replicas sweep
at once with each reminder firing once. Reminders missed while the service was
down are simply due on the next sweep. What makes a reminder fire on time:
by default (`TODOMESH_REMINDER_MODE=sweep`) each replica's `ReminderTimer`
sleeps until the earliest pending reminder is due; with `jobs`, each reminder is
a Dapr job `reminder-<task id>` whose callback fires it the same way, with any other
reminder already due. The cron binding's sweep stays on as the safety net in both.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from functions.shared.context import AppContext, UnitOfWork
from functions.shared.events import Event, EventType, Topic, isoformat, isoformat_or_none, utcnow
from functions.shared.loop import Loop
from functions.shared.sidecar import DaprClient, SidecarError
from functions.todo.models import Task

log = logging.getLogger(__name__)
JOB_PREFIX = "reminder-"
SWEEP_LIMIT = 500
TASKS = Task.__table__


def fire_due_reminders(
    uow: UnitOfWork, now: datetime | None = None, first: str | None = None
) -> int:
    """Fire every due, unfired reminder (at most `SWEEP_LIMIT`: task `first`'s, if due,
    before the oldest); return how many fired."""
    now = now or utcnow()
    order = (
        [Task.reminder_time] if first is None else [(Task.id == first).desc(), Task.reminder_time]
    )
    statement = (
        select(Task)
        .where(*_due(now))
        .order_by(*order)
        .limit(SWEEP_LIMIT)
        .with_for_update(skip_locked=True)
    )
    tasks = uow.session.scalars(statement).all()
    if tasks:  # one statement, not an UPDATE per task at flush
        ids = [task.id for task in tasks]
        uow.session.execute(update(TASKS).where(TASKS.c.id.in_(ids)).values(reminder_fired_at=now))
    for task in tasks:
        set_committed_value(task, "reminder_fired_at", now)
        uow.emit(reminder_event(EventType.REMINDER_DUE, task), Topic.REMINDERS)
    return len(tasks)


def has_due_reminder(ctx: AppContext, task_id: str, now: datetime | None = None) -> bool:
    """Whether `task_id`'s reminder is due and unfired: a read without locks, so a job
    callback whose reminder another callback fired answers without a write."""
    with ctx.readers() as session:
        found = session.scalar(select(Task.id).where(Task.id == task_id, *_due(now or utcnow())))
    return found is not None


def _due(now: datetime) -> tuple[Any, ...]:
    return (Task.reminder_time <= now, *_unfired())


def _unfired() -> tuple[Any, ...]:
    return (Task.reminder_fired_at.is_(None), Task.deleted_at.is_(None), Task.status != "complete")


def reminder_event(
    event_type: EventType, task: Task, reminder_time: datetime | None = None
) -> Event:
    reminder_time = reminder_time or task.reminder_time
    payload = {
        "task_id": task.id,
        "user_id": task.user_id,
        "title": task.title,
        "reminder_time": isoformat_or_none(reminder_time),
        "due_date": isoformat_or_none(task.due_date),
    }
    return Event(event_type, task.id, task.user_id, payload)


class ReminderJobs:
    """Keeps one Dapr job per pending reminder (exact-time option)."""

    def __init__(self, client: DaprClient) -> None:
        self.client = client

    def sync(self, task: Task) -> None:
        name = f"{JOB_PREFIX}{task.id}"
        try:
            if task.reminder_time and task.reminder_fired_at is None and _live(task):
                self.client.schedule_job(name, isoformat(task.reminder_time), {"task_id": task.id})
            else:
                self.client.delete_job(name)
        except SidecarError as exc:
            log.warning(
                "reminder job not synced; the sweep will fire it",
                extra={"task_id": task.id, "error": str(exc)},
            )


class ReminderTimer(Loop):
    """Fires each reminder at its time: sleeps until the earliest pending reminder is due,
    woken at once by a commit of a task with a reminder (which may be earlier), and looks
    again at least every `recheck_seconds` for reminders another replica set."""

    def __init__(self, ctx: AppContext, recheck_seconds: float = 5.0) -> None:
        super().__init__(f"reminders-{ctx.app_id}")
        self.ctx = ctx
        self.recheck_seconds = recheck_seconds

    def committed(self, events: list[tuple[str, Event]]) -> None:
        """After a commit: wake if it staged a task with a reminder (a task's events carry
        its `reminder_time`); other writes cannot bring the next reminder forward."""
        if any(event.payload.get("reminder_time") for _, event in events):
            self.wake()

    def step(self) -> None:
        try:
            wait = self.seconds_until_due()
            if wait <= 0:
                with self.ctx.unit_of_work() as uow:
                    fired = fire_due_reminders(uow)
                wait = 0 if fired else 0.1  # none: another replica holds them; look again
        except Exception as exc:  # the loop must survive a database outage
            log.warning("reminder timer failed; the sweep stays on", extra={"error": str(exc)})
            wait = self.recheck_seconds
        if wait > 0:
            self.idle(wait)

    def seconds_until_due(self) -> float:
        """Seconds until the earliest pending reminder is due (0 if one is), at most
        `recheck_seconds`."""
        with self.ctx.readers() as session:
            due = session.scalar(select(func.min(Task.reminder_time)).where(*_unfired()))
        if due is None:
            return self.recheck_seconds
        return min(self.recheck_seconds, max(0.0, (due - utcnow()).total_seconds()))


def _live(task: Task) -> bool:
    return task.deleted_at is None and task.status != "complete"
