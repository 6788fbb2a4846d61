"""`todomesh dev` as a user runs it, and its broker log read from outside.

The embedded runtime keeps its durable log in `<data-dir>/runtime.db` (SQLite, WAL).
The load process reads it read-only to see when an event reached its topic (the
`published_at` the broker stamps in the publishing transaction), and, while the
server is stopped, appends a backlog to it with the runtime's own `Broker`, as a
producer would write to Kafka while the consumers are down.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.load.auth import BENCH_ENV, Auth
from bench.targets import REPO
from bench.targets.floor import ServerSettings
from functions.identity import mint_token
from functions.launcher.processes import ManagedProcess, free_port, http_ok, wait_until
from functions.runtime.broker import Broker
from functions.runtime.resources import DEFAULT_RESOURCE_DIRS, load_resources
from functions.shared.db import make_engine, session_factory
from functions.shared.settings import Settings

DEFAULT_THREADS = 256  # `todomesh dev`'s default


class EmbeddedServer:
    def __init__(self, data_dir: Path, log_file: Path, threads: int = DEFAULT_THREADS) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.settings = ServerSettings(threads=threads)
        argv = [sys.executable, "-m", "functions.cli", "dev", "--port", str(self.port)]
        argv += ["--data-dir", str(data_dir), "--threads", str(threads)]
        env = {**os.environ, **BENCH_ENV, "PYTHONPATH": str(REPO)}  # logging as shipped (INFO)
        self.process = ManagedProcess(argv, log_file=log_file, env=env, cwd=REPO)
        # how the load process becomes a user of this server: its provider's key
        self.auth = Auth(lambda user, ttl: mint_token(data_dir, user, ttl=ttl))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process.pid is not None, "todomesh dev is not running"
        return self.process.pid

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait until `/ready`; return the seconds that took."""
        started = time.monotonic()
        self.process.start()
        ready = lambda: http_ok(f"{self.url}/ready")  # noqa: E731
        wait_until(ready, what="todomesh dev", timeout=timeout, process=self.process)
        return time.monotonic() - started

    def stop(self) -> None:
        self.process.stop()


class BrokerLog:
    """`<data-dir>/runtime.db`, read-only, and appended to only while the server is down."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "runtime.db"

    def _read(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10) as db:
            return db.execute(sql, args).fetchall()

    def published(self, topic: str, after_id: int = 0) -> list[tuple[int, str, float]]:
        """(message id, task id, published at as a Unix time) of `topic`'s messages."""
        rows = self._read(
            "SELECT id, json_extract(envelope, '$.data.task_id'), published_at FROM messages"
            " WHERE topic = ? AND id > ? ORDER BY id",
            topic,
            after_id,
        )
        return [(i, task, _unix(at)) for i, task, at in rows]

    def last_id(self) -> int:
        return int(self._read("SELECT coalesce(max(id), 0) FROM messages")[0][0])

    def sample(self, topic: str, event_type: str) -> dict[str, Any]:
        """The newest envelope of `event_type` on `topic`, as the platform published it."""
        rows = self._read(
            "SELECT envelope FROM messages WHERE topic = ? AND json_extract(envelope, '$.type') = ?"
            " ORDER BY id DESC LIMIT 1",
            topic,
            event_type,
        )
        if not rows:
            raise LookupError(f"no {event_type} on {topic} in {self.path}")
        return dict(json.loads(rows[0][0]))

    def append(self, items: Sequence[tuple[str, dict[str, Any], str]]) -> None:
        """Publish `(topic, envelope, key)` items as the relay would (server stopped)."""
        settings = Settings(data_dir=self.data_dir, log_level="WARNING")
        engine = make_engine(settings, "runtime")
        try:
            subscriptions = load_resources(DEFAULT_RESOURCE_DIRS).subscriptions
            broker = Broker(session_factory(engine), subscriptions)
            for start in range(0, len(items), 500):
                broker.publish_many("pubsub", items[start : start + 500])
        finally:
            engine.dispose()


def _unix(stamp: str) -> float:
    moment = datetime.fromisoformat(stamp)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
