"""With the Jobs API, a command schedules its reminder's Dapr job only when it schedules or
moves the reminder, and reminders due at the same time share one job (daprd's HTTP API
faked)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
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
from functions.todo.reminders import ReminderJobs, job_name, job_time

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


def test_scheduling_and_moving_a_reminder_schedule_its_job_and_cancelling_leaves_it(
    ctx: AppContext, scheduler: responses.RequestsMock
) -> None:
    soon = utcnow() + timedelta(hours=1)
    fields = {"title": "Call Bo", "reminder_time": soon}
    task = run_command(ctx, service.create_task, CreateTask("ann", fields))
    assert task is not None
    assert job_calls(scheduler) == [("POST", job_name(soon))]

    run_command(ctx, service.update_task, UpdateTask("ann", task.id, {"title": "Call Bo!"}))
    assert job_calls(scheduler) == []  # the reminder did not move

    later = soon + timedelta(hours=1)
    run_command(ctx, service.update_task, UpdateTask("ann", task.id, {"reminder_time": later}))
    assert job_calls(scheduler) == [("POST", job_name(later))]

    # cancelled: the job at `later` may be another reminder's too; it stays, to fire nothing
    run_command(ctx, service.complete_task, CompleteTask("ann", task.id))
    run_command(ctx, service.delete_task, DeleteTask("ann", task.id))
    assert job_calls(scheduler) == []


def test_reminders_due_at_the_same_time_share_one_job(
    ctx: AppContext, scheduler: responses.RequestsMock
) -> None:
    nine = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    tasks = [
        run_command(ctx, service.create_task, CreateTask(user, {"title": "Stand-up", **at}))
        for user, at in (
            ("ann", {"reminder_time": nine}),
            ("bo", {"reminder_time": nine}),
            ("cy", {"reminder_time": nine + timedelta(minutes=1)}),
        )
    ]
    assert job_calls(scheduler) == [  # each create schedules (overwrites) its time's job
        ("POST", "reminders-at-20300107T090000Z"),
        ("POST", "reminders-at-20300107T090000Z"),
        ("POST", "reminders-at-20300107T090100Z"),
    ]

    ReminderJobs(DaprClient(Settings())).sync(t for t in tasks if t is not None)
    calls = list(scheduler.calls)
    assert [c.request.url.removeprefix(JOBS) for c in calls] == [
        "reminders-at-20300107T090000Z",
        "reminders-at-20300107T090100Z",
    ]
    first = json.loads(calls[0].request.body)
    assert first["dueTime"] == "2030-01-07T09:00:00Z"
    assert first["overwrite"] is True


def test_a_job_name_is_the_reminder_time_in_utc_to_the_microsecond() -> None:
    paris = timezone(timedelta(hours=1))
    assert job_name(datetime(2030, 1, 7, 10, 0, tzinfo=paris)) == "reminders-at-20300107T090000Z"
    fraction = datetime(2030, 1, 7, 9, 0, 0, 250000, tzinfo=UTC)
    assert job_name(fraction) == "reminders-at-20300107T090000.250000Z"
    # distinct times never share a job: a job due at the earlier would leave the later one
    assert job_name(fraction) != job_name(fraction.replace(microsecond=0))


def test_a_job_names_time_reads_back_and_other_names_have_none() -> None:
    for moment in (
        datetime(2030, 1, 7, 9, 0, tzinfo=UTC),
        datetime(2030, 1, 7, 9, 0, 0, 250000, tzinfo=UTC),
    ):
        assert job_time(job_name(moment)) == moment
    assert job_time("reminder-5f0c") is None
    assert job_time("reminders-at-soon") is None


def test_a_scheduler_that_fails_is_asked_once_not_once_per_reminder_time(
    ctx: AppContext,
) -> None:
    nine = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    with responses.RequestsMock() as down:
        down.add(responses.POST, re.compile(re.escape(JOBS) + ".*"), status=500)
        tasks = [
            run_command(ctx, service.create_task, CreateTask("ann", {"title": f"t{n}"}))
            for n in range(3)
        ]
        assert not down.calls
        for n, task in enumerate(tasks):
            assert task is not None
            task.reminder_time = nine + timedelta(minutes=n)
        ReminderJobs(DaprClient(Settings())).sync(t for t in tasks if t is not None)
        assert len(down.calls) == 1  # the rest are the sweep's
