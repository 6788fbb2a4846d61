"""Backlogs made of real envelopes: copies of one the platform published, each with a
new event id and task id (and the bench user), so every copy is a new event."""

from __future__ import annotations

import copy
import uuid
from typing import Any

Item = tuple[str, dict[str, Any], str]  # (topic, envelope, partition key)


def copies(sample: dict[str, Any], topic: str, user: str, count: int) -> list[Item]:
    items = []
    for _ in range(count):
        envelope = copy.deepcopy(sample)
        for key in ("pubsubname", "topic", "traceparent", "traceid", "tracestate"):
            envelope.pop(key, None)
        event_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
        envelope["id"], envelope["subject"] = event_id, task_id
        data = envelope["data"]
        data.update(event_id=event_id, task_id=task_id, user_id=user)
        payload = data.get("payload") or {}
        for key in ("id", "task_id"):
            if key in payload:
                payload[key] = task_id
        if "user_id" in payload:
            payload["user_id"] = user
        items.append((topic, envelope, task_id))
    return items
