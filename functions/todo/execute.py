"""Run one of the todo service's commands: its handler in a unit of work, then the side
effects that follow the commit (the reminder's Dapr job, in the Jobs API mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from functions.shared.context import AppContext, UnitOfWork
from functions.shared.events import Topic
from functions.todo.models import Task
from functions.todo.reminders import ReminderJobs

C = TypeVar("C")


def run_command(
    ctx: AppContext, handler: Callable[[C, UnitOfWork], Task | None], command: C
) -> Task | None:
    with ctx.unit_of_work() as uow:
        task = handler(command, uow)
    jobs = ctx.find(ReminderJobs)
    # A task needs a job exactly when its reminder is scheduled or moved, which the
    # handler tells on `reminders`; any other write leaves the jobs as they are.
    if jobs is not None and task is not None and _moves_reminder(uow):
        jobs.sync([task])
    return task


def _moves_reminder(uow: UnitOfWork) -> bool:
    return any(topic == Topic.REMINDERS for topic, _ in uow.events)
