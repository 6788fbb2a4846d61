"""Helpers for end-to-end tests against a real `todomesh dev` process."""

from __future__ import annotations

import email
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import requests
from aiosmtpd.controller import Controller

from functions.runtime.processes import free_port
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


@dataclass
class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it receives."""

    port: int
    received: list[tuple[list[str], Message]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            self.received.append(
                (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content))
            )
        return "250 OK"

    @property
    def env(self) -> dict[str, str]:
        return {"TODOMESH_SMTP_HOST": "127.0.0.1", "TODOMESH_SMTP_PORT": str(self.port)}

    def messages(self) -> list[tuple[list[str], Message]]:
        with self._lock:
            return list(self.received)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def text_body(message: Message) -> str:
    """The text/plain part of a (possibly multipart) email."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
