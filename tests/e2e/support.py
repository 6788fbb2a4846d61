"""Helpers for end-to-end tests against a real `todomesh dev` process."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.support.platform import PlatformProcess


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll `check` until it returns something truthy or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def ok(response: requests.Response, status: int = 200) -> Any:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seconds_from_now(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def audit_trail(platform: PlatformProcess, user: str, task_id: str) -> list[dict[str, Any]]:
    return ok(platform.api(user).get(f"/api/audit/{user}/task/{task_id}"))["items"]


def audit_types(platform: PlatformProcess, user: str, task_id: str) -> list[str]:
    return [record["event_type"] for record in audit_trail(platform, user, task_id)]


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


_METRIC = re.compile(r"^todomesh_events_total\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+]+)$", re.M)


def events_handled(platform: PlatformProcess, app: str, event_type: str) -> int:
    """How many `event_type` events `app` processed in this process (from `/metrics`)."""
    text = requests.get(f"{platform.url}/metrics", timeout=5).text
    wanted = {f'app="{app}"', f'type="{event_type}"', 'outcome="processed"'}
    return sum(
        int(float(m["value"]))
        for m in _METRIC.finditer(text)
        if wanted <= set(m["labels"].split(","))
    )
