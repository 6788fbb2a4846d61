"""Bulk deliveries: a batch of events in one request and one transaction, a status each.

With `bulkSubscribe` on a subscription, daprd (and the embedded runtime, which reads the
same YAML) POSTs one JSON body to the route,
`{"type": "com.dapr.event.sent.bulk", "entries": [{"entryId", "event", "contentType",
"metadata"}, ...], ...}`, each `event` a structured CloudEvent, and reads back
`{"statuses": [{"entryId", "status"}]}`: SUCCESS, RETRY or DROP per entry (DROP goes to
the dead-letter topic; an entry left out counts as RETRY).

`consume_batch` runs the entries in one transaction: one statement claims every entry's
`(consumer, event id)`, and the entries not processed before go to the handler (all at
once to its batch form, when the consumer has one). If a handler fails, the batch runs
again with each entry in a savepoint: a poison entry is rolled back alone and dropped, a
failing one is rolled back alone and retried. After a RETRY, the later entries of the
same task in the batch are retried too, so one task's events are still handled in order.
If the transaction cannot commit (the database went away), every entry not dropped is
retried.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic

from cloudevents.http import from_dict
from flask import Response, g, jsonify

from functions.shared.consumer import (
    DUPLICATE,
    IGNORED,
    PROCESSED,
    BatchHandler,
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
from functions.shared.db import is_unavailable
from functions.shared.deliveries import Entry
from functions.shared.events import Event
from functions.shared.idempotency import claim_many
from functions.shared.logs import log_context
from functions.shared.replies import DropEvent
from functions.shared.wiring import context

log = logging.getLogger(__name__)
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
    many: BatchHandler[R] | None = None,
) -> Batch[R]:
    """Handle a bulk delivery as above: one transaction, each entry once per event id.

    `many` is the batch form of `handler`, if the consumer has one: the same effect for a
    list of events (in delivery order), a result for each. The batch first runs without
    savepoints, which cost more than the work of a typical entry; if a handler fails, that
    transaction is rolled back and the batch runs again with each entry in its own
    savepoint (and `handler`), so the failure is rolled back alone.
    """
    ctx = context()
    require_dapr()
    g.delivered_by_dapr = True
    parsed = [_parsed(ctx, e, accept) for e in entries]
    run = _Run(ctx, handler, many, consumer or ctx.app_id, parsed)
    try:
        run.attempt(isolated=False)
    except Exception as exc:
        if is_unavailable(exc):  # no second attempt against a database that is not there
            run.uncommitted(exc)
        else:
            log.info("an entry failed; the batch again, an entry at a time", exc_info=True)
            try:
                run.attempt(isolated=True)
            except Exception as again:
                run.uncommitted(again)
    for consumed, seconds in run.handled:
        counted(ctx, consumed, seconds, quiet=True)
    outcomes = Counter(c.outcome for c, _ in run.handled)
    log.info("batch handled", extra={"statuses": dict(Counter(run.statuses.values())), **outcomes})
    return Batch(run.statuses, [c for c, _ in run.handled if c.outcome != IGNORED])


@dataclass
class _Parsed:
    entry: Entry
    event: Event | None = None  # None: poison, dropped
    ignored: bool = False  # a type this consumer does not handle

    def context(self) -> AbstractContextManager[None]:
        attributes = self.entry.event if isinstance(self.entry.event, dict) else {}
        return log_context(
            event_id=attributes.get("id"),
            task_id=attributes.get("subject"),
            traceparent=attributes.get("traceparent"),
        )


def _parsed(ctx: AppContext, entry: Entry, accept: Collection[str] | None) -> _Parsed:
    parsed = _Parsed(entry)
    with parsed.context():
        try:
            parsed.event = parse_event(ctx, _data(entry.event))
        except DropEvent:
            return parsed
    parsed.ignored = accept is not None and parsed.event.event_type not in accept
    return parsed


@dataclass
class _Run(Generic[R]):
    """The attempts at one batch. `handled` is what the last one did (with the seconds
    each entry took), counted once it committed."""

    ctx: AppContext
    handler: Handler[R]
    many: BatchHandler[R] | None
    consumer: str
    entries: list[_Parsed]
    handled: list[tuple[Consumed[R], float | None]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)

    def attempt(self, *, isolated: bool) -> None:
        self.handled, self.statuses = [], {}
        with self.ctx.unit_of_work() as uow:
            if isolated:
                retried: set[str] = set()  # tasks with an entry to retry: their later entries wait
                for parsed in self.entries:
                    with parsed.context():
                        status = self._isolated(uow, parsed, retried)
                    self.statuses[parsed.entry.entry_id] = status
            else:
                self._together(uow)

    def uncommitted(self, exc: Exception) -> None:
        """The transaction did not commit (the database went away): retry all but drops."""
        failure_of(self.ctx, exc)  # logged
        self.handled = []
        dropped = {key for key, status in self.statuses.items() if status == DROP}
        self.statuses = {  # poison stays dropped; everything else comes again
            p.entry.entry_id: DROP if p.event is None or p.entry.entry_id in dropped else RETRY
            for p in self.entries
        }

    def _together(self, uow: UnitOfWork) -> None:
        """Every entry in one go: one claim for all, then the handler for the new ones. A
        failure propagates (the caller rolls back and runs the batch isolated)."""
        started = time.perf_counter()
        wanted = [(p, p.event) for p in self.entries if p.event is not None and not p.ignored]
        fresh = self._claim(uow, wanted)
        results = dict(zip((id(p) for p, _ in fresh), self._handle(uow, fresh), strict=True))
        seconds = (time.perf_counter() - started) / max(1, len(wanted))
        for parsed in self.entries:
            event, key = parsed.event, parsed.entry.entry_id
            self.statuses[key] = DROP if event is None else SUCCESS
            if event is None:
                continue
            if parsed.ignored:
                self.handled.append((Consumed(event, IGNORED), None))
            elif id(parsed) in results:
                self.handled.append((Consumed(event, PROCESSED, results[id(parsed)]), seconds))
            else:
                self.handled.append((Consumed(event, DUPLICATE), seconds))

    def _claim(
        self, uow: UnitOfWork, wanted: list[tuple[_Parsed, Event]]
    ) -> list[tuple[_Parsed, Event]]:
        """Claim every entry's event id in one statement; the first entry of each id that
        was not processed before."""
        assert self.ctx.processed is not None, f"{self.ctx.app_id} has no processed_events table"
        ids = [event.event_id for _, event in wanted]
        unclaimed = claim_many(uow.session, self.ctx.processed, self.consumer, ids)
        fresh = []
        for parsed, event in wanted:
            if event.event_id in unclaimed:
                unclaimed.remove(event.event_id)
                fresh.append((parsed, event))
        return fresh

    def _handle(self, uow: UnitOfWork, fresh: list[tuple[_Parsed, Event]]) -> list[R]:
        if not fresh:  # all duplicates (another replica, or a redelivery, got there first)
            return []
        if self.many is not None:
            return self.many([event for _, event in fresh], uow)
        results = []
        for parsed, event in fresh:
            with parsed.context():
                results.append(self.handler(event, uow))
        return results

    def _isolated(self, uow: UnitOfWork, parsed: _Parsed, retried: set[str]) -> str:
        """One entry in its own savepoint: a failure is rolled back alone."""
        event = parsed.event
        if event is None:
            return DROP
        if parsed.ignored:
            self.handled.append((Consumed(event, IGNORED), None))
            return SUCCESS
        if event.task_id in retried:
            return RETRY
        started = time.perf_counter()
        events, envelopes = len(uow.events), len(uow.envelopes)
        try:
            with uow.session.begin_nested():
                consumed = handle_once(self.ctx, uow, self.consumer, event, self.handler)
        except Exception as exc:
            del uow.events[events:], uow.envelopes[envelopes:]  # rolled back with it
            if isinstance(failure_of(self.ctx, exc), DropEvent):
                return DROP
            retried.add(event.task_id)
            return RETRY
        self.handled.append((consumed, time.perf_counter() - started))
        return SUCCESS


def _data(event: Any) -> Any:
    """The `data` of an entry's structured CloudEvent (None when it is no CloudEvent)."""
    try:
        return from_dict(event).get_data()
    except Exception:  # the SDK raises several kinds for a body that is no CloudEvent
        return None  # parse_event drops it: "event data is not a JSON object"
