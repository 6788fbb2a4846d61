"""The embedded platform as a real process: `todomesh dev` on a free port, and what the
end-to-end tests read from it (the audit trail, the consumers' counters)."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import psutil
import requests

from functions.identity import mint_token
from functions.launcher.processes import ManagedProcess, free_port
from tests.support.identity import TEST_WRITE_LIMIT
from tests.support.quiet import Backlog, embedded_backlog, wait_quiet
from tests.support.stories import ok
from tests.support.waiting import wait_for


class PlatformProcess:
    """`todomesh dev --port <free> --data-dir <dir>`; restartable on the same data. The
    sessions `api()` hands out are closed by `close_sessions()` (the fixtures call it)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        env: dict[str, str] | None = None,
        threads: int = 64,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "LOG_LEVEL": "INFO",
            "TODOMESH_RATE_LIMIT_WRITES": TEST_WRITE_LIMIT,
            **(env or {}),
        }
        argv = [
            sys.executable,
            "-m",
            "functions.cli",
            "dev",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            "--threads",
            str(threads),
            *args,
        ]
        self.process = ManagedProcess(argv, log_file=data_dir.parent / "platform.log", env=self.env)
        self.sessions: dict[str, UserSession] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **env: str) -> PlatformProcess:
        self.process.env = {**self.env, **env}
        self.process.start()
        wait_for(self._ready, "todomesh dev ready", timeout=60, process=self.process)
        return self

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.process.stop(sig)

    def crash(self) -> None:
        """SIGKILL the server and its worker: no shutdown work at all."""
        if self.process.alive and self.process.pid:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.stop()

    def wait_exit(self, timeout: float = 30.0) -> None:
        wait_for(lambda: not self.process.alive, "the platform to exit", timeout=timeout)
        if self.process.pid:
            try:  # the worker may outlive a crashed arbiter for a moment
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.stop()

    def token(self, user: str, admin: bool = False) -> str:
        """A token for `user` that this platform accepts (after its first start), as
        `todomesh token <user> --data-dir <its data dir>` prints it."""
        return mint_token(self.data_dir, user, admin=admin, ttl=6 * 3600)

    def api(self, user: str, admin: bool = False) -> UserSession:
        """requests as `user`: one session per user, kept until `close_sessions()`."""
        key = f"{user}{'+admin' if admin else ''}"
        if key not in self.sessions:
            self.sessions[key] = UserSession(self.url, self.token(user, admin))
        return self.sessions[key]

    def close_sessions(self) -> None:
        sessions, self.sessions = self.sessions, {}
        for session in sessions.values():
            session.close()

    def wait_quiet(self, what: str, timeout: float = 60.0) -> Backlog:
        """Wait until the platform owes nothing: every outbox published, every delivery of
        the runtime settled, no notification attempt to come (tests/support/quiet.py)."""
        return wait_quiet(lambda: embedded_backlog(self.data_dir), what, timeout)


class UserSession(requests.Session):
    """requests against the platform as one user (their bearer token)."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__()
        self.base = base
        self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base + url, *args, **kwargs)


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


def consumer_process(platform: PlatformProcess) -> psutil.Process:
    """The consumer process `todomesh dev` runs beside its server (exactly one)."""
    assert platform.process.pid is not None, "todomesh dev is not running"
    descendants = psutil.Process(platform.process.pid).children(recursive=True)
    [found] = [p for p in descendants if "functions.runtime.consumers" in p.cmdline()]
    return found


def gone(process: psutil.Process) -> bool:
    """Exited (a zombie left for a parent that does not reap it counts as exited)."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
