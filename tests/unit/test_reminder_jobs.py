"""With the Jobs API, a command touches its task's Dapr job only when it schedules, moves
or cancels the reminder (daprd's HTTP API faked)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import responses

from functions.shared.context import AppContext
from functions.shared.events import utcnow
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient
from functions.todo import build, service
from functions.todo.commands import CompleteTask, CreateTask, DeleteTask, UpdateTask
from functions.todo.execute import run_command
from functions.todo.reminders import ReminderJobs

JOBS = "http://127.0.0.1:3500/v1.0-alpha1/jobs/"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = build(Settings(data_dir=tmp_path, reminder_mode="jobs"))
    context.provide(ReminderJobs(DaprClient(Settings())))
    yield context
    context.stop()


@pytest.fixture
def scheduler() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.POST, responses.DELETE):
            mock.add(method, re.compile(re.escape(JOBS) + ".*"), status=204)
        yield mock


def job_calls(mock: responses.RequestsMock) -> list[tuple[str, str]]:
    calls = [(c.request.method, c.request.url.removeprefix(JOBS)) for c in mock.calls]
    mock.calls.reset()
    return calls


def test_writes_without_a_reminder_leave_the_scheduler_alone(
    ctx: AppContext, scheduler: responses.RequestsMock
) -> None:
    task = run_command(ctx, service.create_task, CreateTask("ann", {"title": "Milk"}))
    assert task is not None
    run_command(ctx, service.update_task, UpdateTask("ann", task.id, {"title": "Oat milk"}))
    run_command(ctx, service.complete_task, CompleteTask("ann", task.id))
    run_command(ctx, service.delete_task, DeleteTask("ann", task.id))
    assert job_calls(scheduler) == []


def test_scheduling_moving_and_cancelling_a_reminder_each_sync_its_job(
    ctx: AppContext, scheduler: responses.RequestsMock
) -> None:
    soon = utcnow() + timedelta(hours=1)
    fields = {"title": "Call Bo", "reminder_time": soon}
    task = run_command(ctx, service.create_task, CreateTask("ann", fields))
    assert task is not None
    job = f"reminder-{task.id}"
    assert job_calls(scheduler) == [("POST", job)]

    run_command(ctx, service.update_task, UpdateTask("ann", task.id, {"title": "Call Bo!"}))
    assert job_calls(scheduler) == []  # the reminder did not move

    later = {"reminder_time": soon + timedelta(hours=1)}
    run_command(ctx, service.update_task, UpdateTask("ann", task.id, later))
    assert job_calls(scheduler) == [("POST", job)]

    run_command(ctx, service.complete_task, CompleteTask("ann", task.id))
    assert job_calls(scheduler) == [("DELETE", job)]
    run_command(ctx, service.delete_task, DeleteTask("ann", task.id))
    assert job_calls(scheduler) == []  # completing cancelled it already
