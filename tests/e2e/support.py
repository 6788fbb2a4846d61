"""Helpers for end-to-end tests against a real `todomesh dev` process.

The mode-independent ones live in tests/support/stories.py (the Dapr tier uses them
too) and are re-exported here.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from tests.support.platform import PlatformProcess
from tests.support.stories import (
    all_tasks,
    eventually,
    in_app_notifications,
    ok,
    rfc3339,
    seconds_from_now,
)

__all__ = [
    "all_tasks",
    "audit_trail",
    "audit_types",
    "events_handled",
    "eventually",
    "in_app_notifications",
    "ok",
    "rfc3339",
    "seconds_from_now",
]


def audit_trail(platform: PlatformProcess, user: str, task_id: str) -> list[dict[str, Any]]:
    return ok(platform.api(user).get(f"/api/audit/{user}/task/{task_id}"))["items"]


def audit_types(platform: PlatformProcess, user: str, task_id: str) -> list[str]:
    return [record["event_type"] for record in audit_trail(platform, user, task_id)]


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
