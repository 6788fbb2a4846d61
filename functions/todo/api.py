"""HTTP entry points of the todo service: translate requests into commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from functions.shared.bulk import consume_batch
from functions.shared.consumer import consume, delivered_event, require_dapr
from functions.shared.context import UnitOfWork
from functions.shared.deliveries import bulk_entries
from functions.shared.events import Event, EventType, utcnow
from functions.shared.web import caller_id, json_object
from functions.shared.wiring import context
from functions.todo import occurrences, queries, reminders, service
from functions.todo.commands import (
    CompleteTask,
    CreateTask,
    DeleteTask,
    ReopenTask,
    UpdateTask,
)
from functions.todo.execute import run_command
from functions.todo.models import Task
from functions.todo.validation import task_fields

api = Blueprint("todo", __name__)


def _task_response(task: Task, status: int = 200) -> Response:
    response = jsonify(task.snapshot())
    response.status_code = status
    response.headers["ETag"] = task.etag
    return response


def _run(handler: Callable[[Any, UnitOfWork], Task | None], command: Any) -> Task | None:
    return run_command(context(), handler, command)


@api.post("/api/tasks")
def create() -> Response:
    user_id = caller_id()
    fields = task_fields(json_object(), creating=True)
    task = _run(service.create_task, CreateTask(user_id, fields))
    response = _task_response(task, 201)
    response.headers["Location"] = f"/api/tasks/{task.id}"
    return response


@api.get("/api/tasks")
def list_() -> Response:
    query = queries.TaskQuery.from_args(caller_id(), request.args)
    with context().readers() as session:
        tasks, next_cursor = queries.list_tasks(session, query)
        return jsonify(items=[t.snapshot() for t in tasks], next_cursor=next_cursor)


@api.get("/api/tasks/<task_id>")
def get(task_id: str) -> Response:
    user_id = caller_id()
    with context().readers() as session:
        return _task_response(service.load_task(session, user_id, task_id))


@api.patch("/api/tasks/<task_id>")
def update(task_id: str) -> Response:
    user_id = caller_id()
    fields = task_fields(json_object(), creating=False)
    command = UpdateTask(user_id, task_id, fields, request.headers.get("If-Match"))
    return _task_response(_run(service.update_task, command))


@api.post("/api/tasks/<task_id>/complete")
def complete(task_id: str) -> Response:
    command = CompleteTask(caller_id(), task_id, request.headers.get("If-Match"))
    return _task_response(_run(service.complete_task, command))


@api.post("/api/tasks/<task_id>/reopen")
def reopen(task_id: str) -> Response:
    command = ReopenTask(caller_id(), task_id, request.headers.get("If-Match"))
    return _task_response(_run(service.reopen_task, command))


@api.delete("/api/tasks/<task_id>")
def delete(task_id: str) -> Response:
    command = DeleteTask(caller_id(), task_id, request.headers.get("If-Match"))
    _run(service.delete_task, command)
    return Response(status=204)


@api.post("/events/recurring")
def recurring_instance() -> Response:
    """Dapr delivers `recurring.task.created`, alone or in bulk; each next occurrence is
    inserted once, and its reminder, if it has one, gets its job (Jobs API mode)."""
    accept = (EventType.RECURRING_TASK_CREATED,)
    entries = bulk_entries()
    if entries is not None:
        batch = consume_batch(entries, _add_occurrence, accept=accept)
        _schedule([c.result for c in batch.consumed])
        return batch.reply()
    _schedule([consume(delivered_event(), _add_occurrence, accept=accept).result])
    return jsonify(status="SUCCESS")


def _add_occurrence(event: Event, uow: UnitOfWork) -> Task | None:
    return occurrences.add_recurring_instance(event.payload, uow)


def _schedule(added: list[Task | None]) -> None:
    jobs = context().find(reminders.ReminderJobs)
    if jobs is not None:
        jobs.sync(task for task in added if task is not None)


@api.post("/events/ignored")
def ignored() -> Response:
    """Events the subscription's rules route nowhere else (every other task event):
    acknowledged, alone or in bulk. A subscription with a dead-letter topic needs this
    default route: daprd sends an event that matches no route to the dead-letter topic."""
    require_dapr()
    entries = bulk_entries()
    if entries is None:
        return jsonify(status="SUCCESS")
    return jsonify(statuses=[{"entryId": e.entry_id, "status": "SUCCESS"} for e in entries])


@api.post("/reminder-sweep")
@api.post("/job/<name>")
def fire_reminders(name: str | None = None) -> Response:
    """Fire every reminder that is due. Called by the cron binding's tick (an empty JSON
    body, not a CloudEvent) and by the Jobs API for a job `reminders-at-<time>` (`name`),
    the one job of every reminder due then (see `functions.todo.reminders`). A job
    `reminder-<task id>`, scheduled by an earlier version, fires that task's reminder
    first. A job with nothing left to fire answers after a read, without a write.

    A job's reminders are due by the Scheduler's clock when it calls: an app whose clock
    runs behind it, by up to `reminders.CLOCK_SKEW`, still fires them rather than leave
    them to the sweep."""
    require_dapr()
    ctx = context()
    task_id, now = None, utcnow()
    if name is not None and name.startswith(reminders.TASK_JOB_PREFIX):
        task_id = name.removeprefix(reminders.TASK_JOB_PREFIX)
    elif name is not None:
        now = max(now, min(reminders.job_time(name) or now, now + reminders.CLOCK_SKEW))
    if name is not None and not reminders.has_due_reminder(ctx, task_id, now):
        return jsonify(fired=0)
    return jsonify(fired=reminders.fire_all_due(ctx, first=task_id, now=now))
