"""The topics Dapr delivers to the hub: record each change once, then fan it out.

Every replica receives every event (one consumer group per pod). The first to
process an event appends it to the shared replay log; the others find it
already claimed, look its message up by event id, and still fan it out to
their own clients. In `todomesh dev` the process that records holds no clients:
it hints the server, which pushes (`functions.hub.follow`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

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
        hub.push(_recorded(hub, [consume(delivered_event(), hub.record, accept=accept)]))
        return jsonify(status="SUCCESS")
    batch = consume_batch(entries, hub.record, accept=accept, many=hub.record_many)
    hub.push(_recorded(hub, batch.consumed))
    return batch.reply()


def _recorded(hub: Hub, consumed: Iterable[Consumed[Message]]) -> list[Message]:
    """What to push: each event's message, recorded now or by another replica."""
    messages = []
    for each in consumed:
        message: Message | None = None
        if each.outcome == PROCESSED:
            message = each.result
        elif each.outcome == DUPLICATE:
            message = hub.replay_log.find(each.event.event_id)
        if message is not None:
            messages.append(message)
    return messages
