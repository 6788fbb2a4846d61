"""The todo API and the outbox relay in the embedded platform, in one process.

- `api`: latency of `POST /api/tasks` (validation, one transaction, the outbox rows);
- `to_topic`: from the start of that request until the relay has published its
  `task.created` on `task-events` in the runtime's durable log (woken by the commit,
  so this should be milliseconds, not a poll interval);
- `to_audit`: until the audit function has recorded it (a full delivery);
- `burst`: N creates from 8 threads at once, then the time until the outbox is empty.
"""

from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from bench.stats import summarize_ms
from functions.runtime.platform import Platform
from functions.shared.outbox import outbox_lag
from functions.shared.settings import Settings


class Timeline:
    """When each event reached its topic (wraps the broker's publish_many)."""

    def __init__(self, platform: Platform) -> None:
        self.published: dict[str, float] = {}
        self.lock = threading.Lock()
        broker = platform.runtime.broker
        original = broker.publish_many

        def publish_many(pubsub: str, items: list[tuple[str, dict[str, Any], str]]) -> None:
            original(pubsub, items)
            now = time.perf_counter()
            with self.lock:
                for topic, envelope, _ in items:
                    if topic == "task-events":
                        self.published[envelope["data"]["task_id"]] = now

        broker.publish_many = publish_many  # type: ignore[method-assign]

    def wait(self, task_id: str, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if task_id in self.published:
                    return self.published[task_id]
            time.sleep(0.0002)
        raise TimeoutError(task_id)


def _audited(client: Client, task_id: str, timeout: float = 10.0) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        items = client.get(
            f"/api/audit/bench/task/{task_id}", headers={"X-User-Id": "bench"}
        ).get_json()["items"]
        if items:
            return time.perf_counter()
        time.sleep(0.001)
    raise TimeoutError(task_id)


def run(quick: bool = False) -> dict[str, Any]:
    n = 50 if quick else 300
    with tempfile.TemporaryDirectory() as data:
        platform = Platform(Settings(data_dir=Path(data), log_level="WARNING"))
        timeline = Timeline(platform)
        platform.start()
        try:
            client = Client(platform.wsgi)
            api, to_topic, to_audit = [], [], []
            for i in range(n):
                started = time.perf_counter()
                response = client.post(
                    "/api/tasks", json={"title": f"task {i}"}, headers={"X-User-Id": "bench"}
                )
                api.append(time.perf_counter() - started)
                task_id = response.get_json()["id"]
                to_topic.append(timeline.wait(task_id) - started)
                if i % 5 == 0:
                    to_audit.append(_audited(client, task_id) - started)
            burst = _burst(platform, client, n)
        finally:
            platform.stop()
    return {
        "benchmark": "api_events",
        "summary": {
            "api": summarize_ms(api),
            "to_topic": summarize_ms(to_topic),
            "to_audit": summarize_ms(to_audit),
            "burst": burst,
        },
    }


def _burst(platform: Platform, client: Client, n: int) -> dict[str, float]:
    ctx = platform.contexts["todo"]
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: client.post(
                    "/api/tasks", json={"title": f"burst {i}"}, headers={"X-User-Id": "bench"}
                ),
                range(n),
            )
        )
    accepted = time.perf_counter()
    while outbox_lag(ctx.sessions, ctx.outbox)["pending"]:
        time.sleep(0.001)
    drained = time.perf_counter()
    return {
        "tasks": n,
        "requests_per_s": round(n / (accepted - started), 1),
        "outbox_drained_after_ms": round((drained - accepted) * 1000, 1),
    }
