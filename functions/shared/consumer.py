"""CloudEvent consumers: parse, dedupe, run the handler in one transaction, answer Dapr.

A handler gets the parsed `Event` and a `UnitOfWork` and returns what it did;
what it writes and emits commits together with the `(consumer, event_id)`
record, so a redelivery is acknowledged and changes nothing. `consume()` says
which of the three happened (`Consumed`): processed (with the handler's
result), a duplicate, or a type this consumer ignores.

A poison event raises `DropEvent`, a transient failure `RetryEvent`; the
replies to both are in `functions.shared.replies`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Generic, TypeVar

from cloudevents.http import CloudEvent
from flask import g

from functions.shared import metrics
from functions.shared.context import AppContext, UnitOfWork
from functions.shared.db import is_bad_data, is_unavailable
from functions.shared.deliveries import read_cloudevent, require_sidecar
from functions.shared.events import Event, EventType, PoisonEvent, UnsupportedVersion, parse_data
from functions.shared.idempotency import claim
from functions.shared.logs import log_context
from functions.shared.replies import DropEvent, RetryEvent
from functions.shared.wiring import context

log = logging.getLogger(__name__)
KNOWN_TYPES = frozenset(EventType)
PROCESSED, DUPLICATE, IGNORED = "processed", "duplicate", "ignored"
R = TypeVar("R")
Handler = Callable[[Event, UnitOfWork], R]
# A handler's batch form: the same effect for many events, in order, a result for each.
BatchHandler = Callable[[list[Event], UnitOfWork], list[R]]


@dataclass(frozen=True)
class Consumed(Generic[R]):
    """What `consume()` did with one delivery: `outcome` is processed, duplicate or ignored;
    `result` is the handler's return value when it ran."""

    event: Event
    outcome: str
    result: R | None = None


def consume(
    cloud_event: CloudEvent,
    handler: Handler[R],
    *,
    accept: Collection[str] | None = None,
    consumer: str | None = None,
) -> Consumed[R]:
    """Handle one delivery of `cloud_event` once per (consumer, event id).

    Event types outside `accept` are acknowledged untouched.
    """
    ctx = context()
    require_dapr()
    g.delivered_by_dapr = cloud_event.get("pubsubname") is not None
    with log_context(
        event_id=cloud_event.get("id"),
        task_id=cloud_event.get("subject"),
        traceparent=cloud_event.get("traceparent"),
    ):
        event = parse_event(ctx, cloud_event.get_data())
        if accept is not None and event.event_type not in accept:
            return counted(ctx, Consumed(event, IGNORED))
        started = time.perf_counter()
        consumed = _run(ctx, consumer or ctx.app_id, event, handler)
        return counted(ctx, consumed, time.perf_counter() - started)


def counted(
    ctx: AppContext, consumed: Consumed[R], seconds: float | None = None, *, quiet: bool = False
) -> Consumed[R]:
    """Count (and record the `seconds` it took) what was done with one event, and log it
    unless `quiet` (a batch logs one line for all its events)."""
    event = consumed.event
    event_type = event.event_type if event.event_type in KNOWN_TYPES else "other"
    metrics.EVENTS.labels(ctx.app_id, event_type, consumed.outcome).inc()
    if seconds is not None:
        metrics.EVENT_LATENCY.labels(ctx.app_id, event_type).observe(seconds)
        if not quiet:
            log.info("event %s", consumed.outcome, extra={"event_type": event.event_type})
    return consumed


def require_dapr() -> None:
    """401 unless the caller is our sidecar (when an app API token is configured)."""
    require_sidecar(context().settings.app_api_token)


def delivered_event() -> CloudEvent:
    """The CloudEvent a sidecar POSTed to a plain Flask route (structured or binary)."""
    require_dapr()
    return read_cloudevent()


def parse_event(ctx: AppContext, data: object) -> Event:
    """The event in a CloudEvent's `data`; DropEvent (counted and logged) for poison."""
    try:
        return parse_data(data)
    except PoisonEvent as exc:
        raise _dropped(ctx, exc) from exc


def _run(ctx: AppContext, consumer: str, event: Event, handler: Handler[R]) -> Consumed[R]:
    try:
        with ctx.unit_of_work() as uow:
            return handle_once(ctx, uow, consumer, event, handler)
    except Exception as exc:
        raise failure_of(ctx, exc) from exc


def handle_once(
    ctx: AppContext, uow: UnitOfWork, consumer: str, event: Event, handler: Handler[R]
) -> Consumed[R]:
    """Claim `(consumer, event id)` in `uow` and run the handler, unless it was claimed."""
    assert ctx.processed is not None, f"{ctx.app_id} has no processed_events table"
    if not claim(uow.session, ctx.processed, consumer, event.event_id):
        return Consumed(event, DUPLICATE)
    return Consumed(event, PROCESSED, handler(event, uow))


def failure_of(ctx: AppContext, exc: Exception) -> DropEvent | RetryEvent:
    """What a handler's exception means: DROP for poison or a value no column takes (it
    will never be stored), else RETRY (logged; quietly when the database is down)."""
    if isinstance(exc, PoisonEvent):
        return _dropped(ctx, exc)
    if is_bad_data(exc):
        reason = f"the database refuses a value of it ({exc.__class__.__name__})"
        return _dropped(ctx, PoisonEvent(reason))
    if is_unavailable(exc):
        log.warning("database unavailable; asking for redelivery", extra={"error": str(exc)})
    else:
        log.exception("event handler failed; asking for redelivery")
    return RetryEvent(str(exc))


def _dropped(ctx: AppContext, exc: PoisonEvent) -> DropEvent:
    reason = "unsupported_version" if isinstance(exc, UnsupportedVersion) else "malformed"
    metrics.EVENTS_DROPPED.labels(ctx.app_id, reason).inc()
    log.warning("event dropped: %s", exc, extra={"reason": reason})
    return DropEvent(str(exc))
