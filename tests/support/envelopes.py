"""Crafted events for every tier: our own envelope (`Event.to_cloudevent`), a task
snapshot to carry in it, and publishing through a real sidecar with the platform's
own Dapr client."""

from __future__ import annotations

from typing import Any

from functions.launcher.sidecars import Daprd
from functions.shared.events import Event, isoformat, utcnow
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient


def task_payload(
    task_id: str, user: str, title: str = "crafted", *, moment: str | None = None, **changes: Any
) -> dict[str, Any]:
    """A task snapshot as todo puts it in its events, created and updated at `moment`."""
    moment = moment or isoformat(utcnow())
    snapshot = {
        "id": task_id,
        "user_id": user,
        "title": title,
        "description": "",
        "status": "pending",
        "priority": "medium",
        "tags": [],
        "due_date": None,
        "reminder_time": None,
        "timezone": None,
        "recurrence": None,
        "parent_task_id": None,
        "occurrence": 1,
        "version": 1,
        "created_at": moment,
        "updated_at": moment,
        "completed_at": None,
    }
    return {**snapshot, **changes}


def cloud_event(
    event_type: str,
    task_id: str,
    user: str,
    payload: dict[str, Any],
    *,
    event_id: str | None = None,
    source: str = "todo",
    moment: str | None = None,
    traceparent: str | None = None,
    **data_changes: Any,
) -> dict[str, Any]:
    """A structured CloudEvent as the outbox relay publishes it; `data_changes` alter only
    `data` (a value of None removes the field), to craft malformed events."""
    fixed = {"event_id": event_id, "timestamp": moment}
    event = Event(event_type, task_id, user, payload, **{k: v for k, v in fixed.items() if v})
    envelope = event.to_cloudevent(source, traceparent)
    for name, value in data_changes.items():
        if value is None:
            envelope["data"].pop(name, None)
        else:
            envelope["data"][name] = value
    return envelope


def publish(sidecar: Daprd, topic: str, envelope: dict[str, Any], key: str) -> None:
    """Publish `envelope` as it is through `sidecar`, keyed by `key`."""
    token = sidecar.api_headers.get("dapr-api-token")
    settings = Settings(dapr_http_port=sidecar.http_port, dapr_api_token=token)
    DaprClient(settings).publish(topic, envelope, key)
