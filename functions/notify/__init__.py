"""The notify function: a due reminder reaches the user in-app, by email and by webhook."""

from __future__ import annotations

import logging

from cloudevents.http import CloudEvent
from flask import Flask, Response

from functions.notify.api import api
from functions.notify.channels import senders_for
from functions.notify.delivery import NotificationDelivery
from functions.notify.models import Outbox, ProcessedEvent
from functions.notify.service import on_reminder_due, on_reminders_due
from functions.notify.worker import RetryWorker
from functions.shared.bulk import consume_batch
from functions.shared.consumer import consume
from functions.shared.context import AppContext, build_context
from functions.shared.deliveries import Entry
from functions.shared.events import EventType
from functions.shared.logs import log_context
from functions.shared.settings import Settings
from functions.shared.wiring import provided

APP_ID = "notify"
QUERY_API = api
log = logging.getLogger(__name__)


def build(settings: Settings) -> AppContext:
    return build_context(APP_ID, settings, outbox=Outbox, processed=ProcessedEvent)


def init(_app: Flask, ctx: AppContext) -> None:
    """The sender per channel and the retry worker (started by the host)."""
    delivery = NotificationDelivery(
        ctx, senders_for(ctx.settings), ctx.settings.notify_max_attempts
    )
    ctx.provide(delivery)
    ctx.workers.append(RetryWorker(delivery))


def handle(cloud_event: CloudEvent) -> None:
    """`reminder.due` → notifications committed once, then a first delivery attempt."""
    consumed = consume(cloud_event, on_reminder_due, accept=(EventType.REMINDER_DUE,))
    if consumed.result:
        with log_context(event_id=consumed.event.event_id):
            _deliver_now(consumed.result)


def handle_batch(entries: list[Entry]) -> Response:
    """A bulk delivery of `reminders`: committed in one transaction, then first attempts."""
    batch = consume_batch(
        entries, on_reminder_due, accept=(EventType.REMINDER_DUE,), many=on_reminders_due
    )
    for consumed in batch.consumed:
        if consumed.result:
            with log_context(event_id=consumed.event.event_id):
                _deliver_now(consumed.result)
    return batch.reply()


def _deliver_now(ids: list[str]) -> None:
    """The first attempt, after the commit; whatever it leaves, the retry worker picks up."""
    try:
        provided(NotificationDelivery).deliver(ids)
    except Exception as exc:  # the event is handled; delivery is the worker's job from here
        log.warning("first delivery attempt did not finish", extra={"error": str(exc)})
