"""The embedded platform as a real process: `todomesh dev` on a free port."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import requests

from functions.launcher.processes import ManagedProcess, free_port, wait_until


class PlatformProcess:
    """`todomesh dev --port <free> --data-dir <dir>`; restartable on the same data."""

    def __init__(
        self, data_dir: Path, *, env: dict[str, str] | None = None, threads: int = 64
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {**os.environ, "LOG_LEVEL": "INFO", **(env or {})}
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
        ]
        self.process = ManagedProcess(argv, log_file=data_dir.parent / "platform.log", env=self.env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **env: str) -> PlatformProcess:
        self.process.env = {**self.env, **env}
        self.process.start()
        wait_until(self._ready, what="todomesh dev", timeout=60, process=self.process)
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
        wait_until(lambda: not self.process.alive, what="platform exit", timeout=timeout)
        if self.process.pid:
            try:  # the worker may outlive a crashed arbiter for a moment
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.stop()

    def api(self, user: str) -> UserSession:
        return UserSession(self.url, user)


class UserSession(requests.Session):
    """requests against the platform as one user (`X-User-Id`)."""

    def __init__(self, base: str, user: str) -> None:
        super().__init__()
        self.base = base
        self.headers["X-User-Id"] = user

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base + url, *args, **kwargs)
