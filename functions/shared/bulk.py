"""Bulk deliveries: a batch of events in one request and one transaction, a status each.

With `bulkSubscribe` on a subscription, daprd (and the embedded runtime, which reads the
same YAML) POSTs one JSON body to the route,
`{"type": "com.dapr.event.sent.bulk", "entries": [{"entryId", "event", "contentType",
"metadata"}, ...], ...}`, each `event` a structured CloudEvent, and reads back
`{"statuses": [{"entryId", "status"}]}`: SUCCESS, RETRY or DROP per entry (DROP goes to
the dead-letter topic; an entry left out counts as RETRY).

`consume_batch` runs the entries in one transaction, each in a savepoint with its own
`(consumer, event id)` claim: a poison entry is rolled back alone and dropped, a failing
one is rolled back alone and retried. After a RETRY, the later entries of the same task in
the batch are retried too, so one task's events are still handled in order. If the
transaction cannot commit (the database went away), every entry not dropped is retried.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Generic

from cloudevents.http import from_dict
from flask import Response, g, jsonify

from functions.shared.consumer import (
    IGNORED,
    Consumed,
    Handler,
    R,
    counted,
    failure_of,
    handle_once,
    parse_event,
    require_dapr,
)
from functions.shared.context import AppContext, UnitOfWork
from functions.shared.deliveries import Entry
from functions.shared.logs import log_context
from functions.shared.replies import DropEvent
from functions.shared.wiring import context

SUCCESS, RETRY, DROP = "SUCCESS", "RETRY", "DROP"


@dataclass
class Batch(Generic[R]):
    """What `consume_batch` did: a status per entry id, and the entries it processed or
    found already processed (committed), in delivery order."""

    statuses: dict[str, str] = field(default_factory=dict)
    consumed: list[Consumed[R]] = field(default_factory=list)

    def reply(self) -> Response:
        statuses = [{"entryId": key, "status": value} for key, value in self.statuses.items()]
        return jsonify(statuses=statuses)


def consume_batch(
    entries: list[Entry],
    handler: Handler[R],
    *,
    accept: Collection[str] | None = None,
    consumer: str | None = None,
) -> Batch[R]:
    """Handle a bulk delivery as above: one transaction, each entry once per event id."""
    ctx = context()
    require_dapr()
    g.delivered_by_dapr = True
    batch: Batch[R] = Batch()
    retried: set[str] = set()  # tasks with an entry to retry: their later entries wait
    try:
        with ctx.unit_of_work() as uow:
            for entry in entries:
                status, consumed = _entry(ctx, uow, entry, handler, accept, consumer, retried)
                batch.statuses[entry.entry_id] = status
                if consumed is not None and consumed.outcome != IGNORED:
                    batch.consumed.append(consumed)
    except Exception as exc:
        failure_of(ctx, exc)  # logged; nothing of the batch was committed
        batch.statuses = {
            key: DROP if value == DROP else RETRY for key, value in batch.statuses.items()
        }
        for entry in entries:
            batch.statuses.setdefault(entry.entry_id, RETRY)
        batch.consumed = []
    return batch


def _entry(
    ctx: AppContext,
    uow: UnitOfWork,
    entry: Entry,
    handler: Handler[R],
    accept: Collection[str] | None,
    consumer: str | None,
    retried: set[str],
) -> tuple[str, Consumed[R] | None]:
    attributes = entry.event if isinstance(entry.event, dict) else {}
    with log_context(
        event_id=attributes.get("id"),
        task_id=attributes.get("subject"),
        traceparent=attributes.get("traceparent"),
    ):
        try:
            event = parse_event(ctx, _data(entry.event))
        except DropEvent:
            return DROP, None
        if accept is not None and event.event_type not in accept:
            return SUCCESS, counted(ctx, Consumed(event, IGNORED))
        if event.task_id in retried:
            return RETRY, None
        started = time.perf_counter()
        events, envelopes = len(uow.events), len(uow.envelopes)
        try:
            with uow.session.begin_nested():
                consumed = handle_once(ctx, uow, consumer or ctx.app_id, event, handler)
        except Exception as exc:
            del uow.events[events:], uow.envelopes[envelopes:]  # rolled back with the savepoint
            if isinstance(failure_of(ctx, exc), DropEvent):
                return DROP, None
            retried.add(event.task_id)
            return RETRY, None
        return SUCCESS, counted(ctx, consumed, started)


def _data(event: Any) -> Any:
    """The `data` of an entry's structured CloudEvent (None when it is no CloudEvent)."""
    try:
        return from_dict(event).get_data()
    except Exception:  # the SDK raises several kinds for a body that is no CloudEvent
        return None  # parse_event drops it: "event data is not a JSON object"
