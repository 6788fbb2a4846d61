"""Delivers one subscription's messages to its app, keeping Dapr's contract.

- One by one, or in batches when the subscription enables `bulkSubscribe`; the
  requests and what the replies mean are in `functions.runtime.delivery`.
- A retry waits as the subscription's resiliency policy says; `DROP`, or retries
  run out, sends the message to the dead-letter topic; 404 drops it.
- Messages with the same key are delivered in order: while one waits for a
  retry, later messages with its key wait too; other keys go on.
- With bulk delivery, a batch gathers for up to the subscription's
  `maxAwaitDurationMs` after the one before, as daprd's do (see `Dispatcher.step`).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update

from functions.runtime.broker import (
    DEAD,
    DONE,
    DROPPED,
    PENDING,
    Broker,
    BrokerDelivery,
    BrokerMessage,
    subscription_key,
)
from functions.runtime.delivery import (
    DROP,
    NOT_FOUND,
    SUCCESS,
    Transport,
    deliver_bulk,
    deliver_one,
)
from functions.runtime.resources import RetryPolicy, Subscription
from functions.shared.events import utcnow
from functions.shared.logs import log_context
from functions.shared.loop import Loop

log = logging.getLogger(__name__)

DELIVERIES, MESSAGES = BrokerDelivery.__table__, BrokerMessage.__table__
# Settling a chunk's successes: one statement, prebuilt (see `Dispatcher._pending`).
MARK_DONE = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id.in_(bindparam("ids", expanding=True)))
    .values(state=DONE)
)

# With nothing due, a dispatcher sleeps until woken (the broker wakes it on every publish,
# made in this process or, over `link.py`, in the other one of `todomesh dev`) or until its
# earliest retry is due; this only bounds the wait.
IDLE_SECONDS = 60.0


class Dispatcher(Loop):
    def __init__(
        self,
        broker: Broker,
        subscription: Subscription,
        transport: Transport,
        retry: RetryPolicy,
        batch_size: int = 100,
    ) -> None:
        super().__init__(f"deliver-{subscription_key(subscription)}")
        self.broker = broker
        self.sub = subscription
        self.key = subscription_key(subscription)
        self.transport = transport
        self.retry = retry
        self.batch_size = batch_size
        self.chunk_size = subscription.bulk_max_messages or 1
        self.gather_seconds = subscription.bulk_max_await_seconds or 0.0
        self.drained = False  # the last `dispatch_ready` tried all that was due
        self._sent_short: float | None = None  # when a batch took all that was due, if so
        self.pending = (  # a page of pending deliveries after id `:after`
            select(
                DELIVERIES.c.id,
                DELIVERIES.c.partition_key,
                DELIVERIES.c.attempts,
                DELIVERIES.c.next_attempt_at,
                MESSAGES.c.topic,
                MESSAGES.c.envelope,
            )
            .select_from(DELIVERIES.join(MESSAGES, MESSAGES.c.id == DELIVERIES.c.message_id))
            .where(
                DELIVERIES.c.subscription == self.key,
                DELIVERIES.c.state == PENDING,
                DELIVERIES.c.id > bindparam("after"),
            )
            .order_by(DELIVERIES.c.id)
            .limit(batch_size)
        )

    def step(self) -> None:
        """Deliver what is due, then sleep until there is more.

        With bulk delivery the next batch is not sent before `maxAwaitDurationMs` after a
        batch that took all that was due: what is published meanwhile goes with it, in one
        request and one transaction, as daprd gathers a batch per partition for that long.
        A message after a quiet spell goes at once; a backlog goes full batch after full
        batch. Unlike daprd's, a batch that fills up early still waits out the duration."""
        try:
            if self._sent_short is not None:
                self.pause(self._sent_short + self.gather_seconds - time.monotonic())
                self._sent_short = None
            tried = self.dispatch_ready()
            if tried and self.drained and self.gather_seconds:
                self._sent_short = time.monotonic()
            if not tried or self.drained:
                # A publish since the last read set the wake flag: read again at once
                # (the idle clears it); else sleep until woken or a retry is due.
                self.idle(0 if self.woken else self.seconds_until_due())
        except Exception:
            log.exception("dispatcher failed", extra={"subscription": self.key})
            self.idle(0.25)  # the store is failing: look again soon

    def seconds_until_due(self) -> float:
        """How long nothing of this subscription can be delivered: until its earliest retry,
        at most IDLE_SECONDS. What waits behind a retry's key waits no longer than it."""
        with self.broker.readers() as session:
            due = session.scalar(
                select(func.min(BrokerDelivery.next_attempt_at)).where(
                    BrokerDelivery.subscription == self.key,
                    BrokerDelivery.state == PENDING,
                    BrokerDelivery.attempts > 0,  # waiting for a retry (due by now, or not)
                )
            )
        if due is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max(0.01, (due - utcnow()).total_seconds()))

    def dispatch_ready(self) -> int:
        """Deliver what is due, in order per key, up to `batch_size`; return how many were
        tried. Pending rows are read page by page past keys that wait for a retry, so a
        crowd of keys in back-off cannot hold up the keys behind them. With bulk delivery
        the due messages go `bulk_max_messages` at a time, else one by one."""
        now = utcnow()
        blocked: set[str] = set()
        tried, after = 0, 0
        self.drained = False
        while tried < self.batch_size and not self.stopping and not self.drained:
            rows = self._pending(after)
            # a short page was the last: nothing more was pending when it was read
            self.drained = len(rows) < self.batch_size
            if not rows:
                break
            after = rows[-1].id
            due = []
            for row in rows:
                if row.partition_key in blocked or row.next_attempt_at > now:
                    blocked.add(row.partition_key)
                else:
                    due.append(row)
            while due and tried < self.batch_size and not self.stopping:
                chunk = [row for row in due[: self.chunk_size] if row.partition_key not in blocked]
                due = due[self.chunk_size :]
                if chunk:
                    blocked |= self._settle(chunk, self._send(chunk))
                    tried += len(chunk)
        if tried >= self.batch_size:  # stopped at the limit: due messages may be left
            self.drained = False
        return tried

    def _pending(self, after: int) -> list[Row[Any]]:
        """The next page of this subscription's pending deliveries after id `after`: plain
        rows of what delivering and settling them needs, from a statement built once and
        run on the connection (the ORM's per-query work cost more than the query)."""
        with self.broker.readers() as session:
            return list(session.connection().execute(self.pending, {"after": after}).all())

    def _send(self, chunk: list[Row[Any]]) -> list[str]:
        """Deliver the chunk's messages (at once with bulk delivery); the outcome of each."""
        envelopes = [(row.envelope, row.topic, row.partition_key) for row in chunk]
        if self.sub.bulk_max_messages is None:
            return [deliver_one(self.sub, self.transport, *e) for e in envelopes]
        return deliver_bulk(self.sub, self.transport, envelopes)

    def _settle(self, chunk: list[Row[Any]], outcomes: list[str]) -> set[str]:
        """Record each outcome, in one transaction (the successes in one statement); the
        keys of messages left pending for a retry (their later messages wait behind them)."""
        done: list[int] = []
        changes: list[dict[str, Any]] = []
        waiting: set[str] = set()
        for row, outcome in zip(chunk, outcomes, strict=True):
            if outcome == SUCCESS:
                done.append(row.id)
                continue
            attempts = row.attempts + 1
            state = PENDING
            if outcome == NOT_FOUND:
                state = DROPPED
                log.warning("app answered 404; message dropped", extra={"subscription": self.key})
            elif outcome == DROP or self.retry.exhausted(retries_done=attempts - 1):
                state = DEAD
                self._dead_letter(row, reason=outcome)
            else:
                waiting.add(row.partition_key)
            change = {"id": row.id, "state": state, "attempts": attempts}
            if state == PENDING:
                retry_at = utcnow() + timedelta(seconds=self.retry.delay(attempts))
                change.update(next_attempt_at=retry_at, last_error=outcome)
            changes.append(change)
        with self.broker.sessions.begin() as session:
            if done:
                session.connection().execute(MARK_DONE, {"ids": done})
            if changes:
                session.execute(update(BrokerDelivery), changes)  # by primary key
        return waiting

    def _dead_letter(self, row: Row[Any], reason: str) -> None:
        topic = self.sub.dead_letter_topic
        with log_context(event_id=row.envelope.get("id"), task_id=row.partition_key):
            if topic is None:
                log.error("no dead-letter topic; message discarded", extra={"reason": reason})
                return
            log.warning(
                "message sent to the dead-letter topic",
                extra={"subscription": self.key, "dead_letter_topic": topic, "reason": reason},
            )
        self.broker.publish(self.sub.pubsub, topic, row.envelope, row.partition_key)
