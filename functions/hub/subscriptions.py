"""The topics Dapr delivers to the hub: record each change once, then fan it out.

Every replica receives every event (one consumer group per pod). The first to
process an event appends it to the shared log; the others find it already
claimed, look its message up, and still fan it out to their own clients.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cloudevents.http import CloudEvent
from flask import Blueprint, Response, jsonify

from functions.hub.replay import Message
from functions.hub.service import current_hub
from functions.shared.consumer import consume, delivered_event
from functions.shared.events import TASK_LIFECYCLE, EventType

subscriptions = Blueprint("hub_events", __name__)
NOTIFICATIONS = (EventType.NOTIFICATION_SENT, EventType.NOTIFICATION_FAILED)


@subscriptions.post("/events/task-updates")
def task_updates() -> Response:
    return _fan_out(delivered_event(), TASK_LIFECYCLE)


@subscriptions.post("/events/notifications")
def notifications() -> Response:
    return _fan_out(delivered_event(), NOTIFICATIONS)


def _fan_out(cloud_event: CloudEvent, accept: Collection[str]) -> Response:
    hub = current_hub()
    recorded: list[Message] = []
    consume(cloud_event, hub.recorder(recorded), accept=accept)
    if not recorded and cloud_event.get("type") in accept:
        recorded = hub.log.find(_event_id(cloud_event))
    for message in recorded:
        hub.connections.publish(message)
    return jsonify(status="SUCCESS")


def _event_id(cloud_event: CloudEvent) -> str:
    data: Any = cloud_event.get_data()
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return str(event_id or cloud_event["id"])
