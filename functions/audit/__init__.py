"""The audit function: every task event, kept as an immutable record, and a query API."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from flask import Flask, Response

from functions.audit.api import api
from functions.audit.models import ProcessedEvent
from functions.audit.service import AUDITED, record_event, record_events
from functions.shared.bulk import consume_batch
from functions.shared.consumer import consume
from functions.shared.context import AppContext, build_context
from functions.shared.deliveries import Entry
from functions.shared.settings import Settings

APP_ID = "audit"
QUERY_API = api


def build(settings: Settings) -> AppContext:
    return build_context(APP_ID, settings, processed=ProcessedEvent)


def init(_app: Flask, _ctx: AppContext) -> None:
    """Nothing to add: deliveries arrive at the function itself."""


def handle(cloud_event: CloudEvent) -> None:
    """`task-events` → one audit record per event; other types are acknowledged untouched."""
    consume(cloud_event, record_event, accept=AUDITED)


def handle_batch(entries: list[Entry]) -> Response:
    """A bulk delivery of `task-events`: the same, in one transaction."""
    return consume_batch(entries, record_event, accept=AUDITED, many=record_events).reply()
