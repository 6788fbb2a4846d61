"""Helpers for the user stories, shared by the embedded tier (tests/e2e) and the
self-hosted Dapr tier (tests/integration).

They talk HTTP to one app through a `requests.Session` whose base URL and user are
set (tests/support/platform.py `UserSession`), and read the changes a hub client
(tests/support/tracker.py `Tracker.hub`) receives; nothing here knows which mode
serves them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import websocket

from tests.support.waiting import wait_for


def ok(response: requests.Response, status: int = 200) -> Any:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seconds_from_now(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def all_tasks(api: requests.Session) -> list[dict[str, Any]]:
    """Every live task of the session's user, following the cursor."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = ok(api.get("/api/tasks", params={"limit": 200, "cursor": cursor}))
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = page["next_cursor"]


def in_app_notifications(api: requests.Session) -> list[dict[str, Any]]:
    return ok(api.get("/api/notifications", params={"limit": 200}))["items"]


def assert_one_in_app_reminder(api: requests.Session, task: dict[str, Any], title: str) -> None:
    """The user's inbox holds exactly one sent in-app reminder, for `task`, at its time."""
    [note] = in_app_notifications(api)
    assert (note["task_id"], note["title"], note["channel"], note["status"]) == (
        task["id"],
        title,
        "in_app",
        "sent",
    )
    assert note["reminder_time"] == task["reminder_time"]


def create(api: requests.Session, **fields: Any) -> dict[str, Any]:
    return ok(api.post("/api/tasks", json=fields), 201)


def complete(api: requests.Session, task: dict[str, Any]) -> dict[str, Any]:
    return ok(api.post(f"/api/tasks/{task['id']}/complete"))


def occurrence(
    api: requests.Session, root: dict[str, Any], number: int, timeout: float = 20
) -> dict[str, Any]:
    """Wait for occurrence `number` of `root`'s series to exist; it must exist once."""

    def found() -> list[dict[str, Any]]:
        return [
            t
            for t in all_tasks(api)
            if t["parent_task_id"] == root["id"] and t["occurrence"] == number
        ]

    instances = wait_for(found, f"occurrence {number} of {root['id']}", timeout=timeout)
    assert len(instances) == 1, f"occurrence {number} of {root['id']}: {instances}"
    return instances[0]


def changes(ws: websocket.WebSocket, count: int) -> list[dict[str, Any]]:
    """The next `count` changes this client receives (control messages skipped)."""
    got: list[dict[str, Any]] = []
    while len(got) < count:
        message = json.loads(ws.recv())
        if message["type"] not in ("ready", "resync"):
            got.append(message)
    return got
