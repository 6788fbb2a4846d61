"""Reminders: a sweep that fires what is due, at the time each is due.

The sweep claims due reminders and, in one transaction, marks them fired and
writes `reminder.due` to the outbox; `SKIP LOCKED` lets several replicas sweep
at once with each reminder firing once. Reminders missed while the service was
down are simply due on the next sweep. What makes a reminder fire on time:
by default (`TODOMESH_REMINDER_MODE=sweep`) each replica's `ReminderTimer`
sleeps until the earliest pending reminder is due; with `jobs`, daprd's Scheduler
keeps one job per reminder time, `reminders-at-<time>`, whose callback fires every
reminder then due the same way. The cron binding's sweep stays on as the safety net
in both.

Why a job per time, not per reminder: reminders cluster on round times (9:00, the
hour), and the Scheduler calls the app back once per job. With a job per reminder,
100 reminders due at 9:00 were 100 callbacks, the first firing them all and the
other 99 each a request and a read that found theirs fired, on the same cores as the
first one's publish (in `task bench:dapr`, 175 ms to publish the 100 `reminder.due`
instead of 16 ms alone). A job whose reminders were all moved or cancelled stays
(others may share it) and fires nothing when it comes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from functions.shared.context import AppContext, UnitOfWork
from functions.shared.events import Event, EventType, Topic, isoformat, isoformat_or_none, utcnow
from functions.shared.loop import Loop
from functions.shared.sidecar import DaprClient, SidecarError
from functions.todo.models import Task

log = logging.getLogger(__name__)
JOB_PREFIX = "reminders-at-"
TASK_JOB_PREFIX = "reminder-"  # a job per reminder, as earlier versions scheduled them
SWEEP_LIMIT = 500  # reminders per transaction
SWEEP_ROUNDS = 20  # transactions per callback; what is left is the sweep's
CLOCK_SKEW = timedelta(seconds=5)  # how far a job's time may run ahead of the app's clock
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


def fire_all_due(ctx: AppContext, first: str | None = None, now: datetime | None = None) -> int:
    """Fire what is due, a transaction per `SWEEP_LIMIT` reminders, for at most
    `SWEEP_ROUNDS` of them; return how many fired."""
    fired = 0
    for _ in range(SWEEP_ROUNDS):
        with ctx.unit_of_work() as uow:
            count = fire_due_reminders(uow, now=now, first=first)
        fired += count
        if count:
            log.info("reminders fired", extra={"fired": count})
        if count < SWEEP_LIMIT:
            break
    return fired


def has_due_reminder(
    ctx: AppContext, task_id: str | None = None, now: datetime | None = None
) -> bool:
    """Whether a reminder (`task_id`'s, if given) is due and unfired: a read without
    locks, so a job callback with nothing left to fire answers without a write."""
    only = () if task_id is None else (Task.id == task_id,)
    with ctx.readers() as session:
        found = session.scalar(select(Task.id).where(*only, *_due(now or utcnow())).limit(1))
    return found is not None


def job_name(moment: datetime) -> str:
    """The Dapr job of every reminder due at `moment` (`reminders-at-20261203T090000Z`)."""
    utc = moment.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return f"{JOB_PREFIX}{utc:%Y%m%dT%H%M%S}{fraction}Z"


def job_time(name: str) -> datetime | None:
    """The time a `job_name` stands for; None for any other name."""
    stamp = name.removeprefix(JOB_PREFIX)
    for layout in ("%Y%m%dT%H%M%S.%fZ", "%Y%m%dT%H%M%SZ"):
        try:
            return datetime.strptime(stamp, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


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
    """Keeps a Dapr job at the time of each pending reminder (exact-time option)."""

    def __init__(self, client: DaprClient) -> None:
        self.client = client

    def sync(self, tasks: Iterable[Task]) -> None:
        """Schedule the job of each pending reminder among `tasks`, once per time. A moved
        or cancelled reminder's old job is left to fire nothing (one-shot, the Scheduler
        then deletes it). After a failure the rest are left to the sweep: a Scheduler
        that is down would otherwise hold the caller for a timeout per reminder time."""
        due = {task.reminder_time: task for task in tasks if _pending(task)}
        for done, (moment, task) in enumerate(due.items()):
            try:
                self.client.schedule_job(
                    job_name(moment), isoformat(moment), {"reminder_time": isoformat(moment)}
                )
            except SidecarError as exc:
                log.warning(
                    "reminder jobs not scheduled; the sweep will fire them",
                    extra={"task_id": task.id, "left": len(due) - done, "error": str(exc)},
                )
                return


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


def _pending(task: Task) -> bool:
    return task.reminder_time is not None and task.reminder_fired_at is None and _live(task)


def _live(task: Task) -> bool:
    return task.deleted_at is None and task.status != "complete"
