"""The recurring function: the next occurrence of a completed recurring task, until deleted."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from flask import Flask, Response

from functions.recurring.models import Outbox, ProcessedEvent
from functions.recurring.service import HANDLED, on_task_event
from functions.shared.bulk import consume_batch
from functions.shared.consumer import consume
from functions.shared.context import AppContext, build_context
from functions.shared.deliveries import Entry
from functions.shared.settings import Settings

APP_ID = "recurring"
QUERY_API = None


def build(settings: Settings) -> AppContext:
    return build_context(APP_ID, settings, outbox=Outbox, processed=ProcessedEvent)


def init(_app: Flask, _ctx: AppContext) -> None:
    """No routes of its own: everything arrives as `task.completed` / `task.deleted`."""


def handle(cloud_event: CloudEvent) -> None:
    """`task.completed` → `recurring.task.created`; `task.deleted` → the series ends."""
    consume(cloud_event, on_task_event, accept=HANDLED)


def handle_batch(entries: list[Entry]) -> Response:
    """A bulk delivery of `task-events`: the same, in one transaction."""
    return consume_batch(entries, on_task_event, accept=HANDLED).reply()
