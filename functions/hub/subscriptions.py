"""The topics Dapr delivers to the hub: record each change once, then fan it out.

Every replica receives every event (one consumer group per pod). The first to
process an event appends it to the shared replay log; the others find it
already claimed, look its message up by event id, and still fan it out to
their own clients.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Blueprint, Response, jsonify

from functions.hub.replay import Message
from functions.hub.service import Hub
from functions.shared.bulk import consume_batch
from functions.shared.consumer import (
    DUPLICATE,
    PROCESSED,
    Consumed,
    consume,
    delivered_event,
    require_dapr,
)
from functions.shared.deliveries import bulk_entries
from functions.shared.events import TASK_LIFECYCLE, EventType
from functions.shared.wiring import provided

subscriptions = Blueprint("hub_events", __name__)
NOTIFICATIONS = (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)


@subscriptions.post("/events/task-updates")
def task_updates() -> Response:
    return _fan_out(TASK_LIFECYCLE)


@subscriptions.post("/events/notifications")
def notifications() -> Response:
    return _fan_out(NOTIFICATIONS)


def _fan_out(accept: Collection[str]) -> Response:
    hub = provided(Hub)
    require_dapr()
    entries = bulk_entries()
    if entries is None:
        _publish(hub, consume(delivered_event(), hub.record, accept=accept))
        return jsonify(status="SUCCESS")
    batch = consume_batch(entries, hub.record, accept=accept, many=hub.record_many)
    for consumed in batch.consumed:
        _publish(hub, consumed)
    return batch.reply()


def _publish(hub: Hub, consumed: Consumed[Message]) -> None:
    """Push what was recorded (now, or by another replica) to this replica's clients."""
    message: Message | None = None
    if consumed.outcome == PROCESSED:
        message = consumed.result
    elif consumed.outcome == DUPLICATE:
        message = hub.replay_log.find(consumed.event.event_id)
    if message is not None:
        hub.connections.publish(message)
