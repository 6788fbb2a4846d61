"""Delivers one subscription's messages to its app, keeping Dapr's contract.

- The app gets `POST <route>` with the structured CloudEvent
  (`application/cloudevents+json`), plus `pubsubname` and `topic` as Dapr adds them.
- 2xx with `SUCCESS` (or no JSON status) acknowledges; `RETRY` or any non-2xx
  but 404 is retried with the subscription's resiliency policy; `DROP`, or
  retries run out, sends the message to the dead-letter topic; 404 drops it.
- Messages with the same key are delivered in order: while one waits for a
  retry, later messages with its key wait too; other keys go on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from functions.runtime.broker import (
    DEAD,
    DONE,
    DROPPED,
    Broker,
    BrokerDelivery,
    BrokerMessage,
    subscription_key,
)
from functions.runtime.resources import RetryPolicy, Subscription
from functions.shared.events import CLOUDEVENT_CONTENT_TYPE, utcnow
from functions.shared.logs import log_context
from functions.shared.loop import Loop

log = logging.getLogger(__name__)

# transport(app_id, path, body, headers) -> (HTTP status, response body)
Transport = Callable[[str, str, bytes, dict[str, str]], tuple[int, bytes]]
SUCCESS, RETRY, DROP, NOT_FOUND = "SUCCESS", "RETRY", "DROP", "NOT_FOUND"
# With nothing due, a dispatcher sleeps until woken (the broker wakes it on publish) or
# until its earliest retry is due; this bounds the wait for what no wake announces.
IDLE_SECONDS = 5.0


def outcome_of(status: int, body: bytes) -> str:
    """Map an app's reply to what Dapr does with the message."""
    if status == 404:
        return NOT_FOUND
    if not 200 <= status < 300:
        return RETRY
    try:
        reply = json.loads(body) if body else {}
    except ValueError:
        return SUCCESS
    answer = str(reply.get("status", SUCCESS)).upper() if isinstance(reply, dict) else SUCCESS
    return answer if answer in (SUCCESS, RETRY, DROP) else RETRY


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

    def step(self) -> None:
        try:
            if not self.dispatch_ready():
                self.idle(self.seconds_until_due())
        except Exception:
            log.exception("dispatcher failed", extra={"subscription": self.key})
            self.idle(0.25)  # the store is failing: look again soon

    def seconds_until_due(self) -> float:
        """How long nothing of this subscription can be delivered: until its earliest retry,
        at most IDLE_SECONDS. What waits behind a retry's key waits no longer than it."""
        now = utcnow()
        with self.broker.readers() as session:
            due = session.scalar(
                select(func.min(BrokerDelivery.next_attempt_at)).where(
                    BrokerDelivery.subscription == self.key,
                    BrokerDelivery.state == "pending",
                    BrokerDelivery.next_attempt_at > now,
                )
            )
        if due is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max(0.01, (due - now).total_seconds()))

    def dispatch_ready(self) -> int:
        """Deliver what is due, in order per key, up to `batch_size`; return how many were
        tried. Pending rows are read page by page past keys that wait for a retry, so a
        crowd of keys in back-off cannot hold up the keys behind them."""
        now = utcnow()
        blocked: set[str] = set()
        tried, after = 0, 0
        while tried < self.batch_size and not self.stopping:
            rows = self._pending(after)
            if not rows:
                break
            for delivery, message in rows:
                after = delivery.id
                if self.stopping or tried >= self.batch_size:
                    break
                if delivery.partition_key in blocked or delivery.next_attempt_at > now:
                    blocked.add(delivery.partition_key)
                    continue
                outcome = self._deliver(message)
                if not self._settle(delivery, message, outcome):
                    blocked.add(delivery.partition_key)
                tried += 1
        return tried

    def _pending(self, after: int) -> list[Any]:
        """The next page of this subscription's pending deliveries after id `after`."""
        with self.broker.readers() as session:
            return list(
                session.execute(
                    select(BrokerDelivery, BrokerMessage)
                    .join(BrokerMessage, BrokerMessage.id == BrokerDelivery.message_id)
                    .where(
                        BrokerDelivery.subscription == self.key,
                        BrokerDelivery.state == "pending",
                        BrokerDelivery.id > after,
                    )
                    .order_by(BrokerDelivery.id)
                    .limit(self.batch_size)
                ).all()
            )

    def _deliver(self, message: BrokerMessage) -> str:
        envelope: dict[str, Any] = {
            **message.envelope,
            "pubsubname": self.sub.pubsub,
            "topic": message.topic,
        }
        path = self.sub.route(envelope)
        if path is None:
            return SUCCESS
        body = json.dumps(envelope).encode()
        with log_context(
            event_id=envelope.get("id"),
            task_id=message.partition_key,
            traceparent=envelope.get("traceparent"),
        ):
            try:
                status, reply = self.transport(
                    self.sub.app_id, path, body, {"Content-Type": CLOUDEVENT_CONTENT_TYPE}
                )
            except Exception:
                log.exception("delivery failed", extra={"subscription": self.key})
                return RETRY
        return outcome_of(status, reply)

    def _settle(self, delivery: BrokerDelivery, message: BrokerMessage, outcome: str) -> bool:
        """Record the outcome; False when the message stays pending for a retry."""
        attempts = delivery.attempts + (outcome != SUCCESS)
        state, settled = "pending", True
        if outcome == SUCCESS:
            state = DONE
        elif outcome == NOT_FOUND:
            state = DROPPED
            log.warning("app answered 404; message dropped", extra={"subscription": self.key})
        elif outcome == DROP or self.retry.exhausted(retries_done=attempts - 1):
            state = DEAD
            self._dead_letter(message, reason=outcome)
        else:
            settled = False
        with self.broker.sessions.begin() as session:
            row = session.get(BrokerDelivery, delivery.id)
            row.state, row.attempts = state, attempts
            if not settled:
                row.next_attempt_at = utcnow() + timedelta(seconds=self.retry.delay(attempts))
                row.last_error = outcome
        return settled

    def _dead_letter(self, message: BrokerMessage, reason: str) -> None:
        topic = self.sub.dead_letter_topic
        with log_context(event_id=message.envelope.get("id"), task_id=message.partition_key):
            if topic is None:
                log.error("no dead-letter topic; message discarded", extra={"reason": reason})
                return
            log.warning(
                "message sent to the dead-letter topic",
                extra={"subscription": self.key, "dead_letter_topic": topic, "reason": reason},
            )
        self.broker.publish(self.sub.pubsub, topic, message.envelope, message.partition_key)
