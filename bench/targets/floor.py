"""The floor app (`bench.floor.app`) under gunicorn, with the settings of the process it
is compared with, optionally beside its own daprd."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.targets import REPO
from functions.launcher.processes import ManagedProcess, free_port, http_ok, wait_until


@dataclass(frozen=True)
class ServerSettings:
    """How gunicorn serves the todomesh process under test; the floor copies it.

    Every todomesh process is a uvicorn worker under gunicorn with its Flask side behind
    the ASGI front's thread pool (`functions.shared.asgi.front`), so the floor is too
    (`bench.floor.app:create_asgi_app()`, `GUNICORN_THREADS` threads). `config` names a
    gunicorn config module (the Dapr apps' own `python:functions.gunicorn_conf`); without
    it the flags mirror `functions/runtime/server.py` (`todomesh dev`)."""

    threads: int
    config: str | None = None

    def argv(self, port: int) -> list[str]:
        if self.config:
            return ["-c", self.config, "--bind", f"127.0.0.1:{port}"]
        return [
            *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
            *("--worker-class", "uvicorn_worker.UvicornWorker"),
            *("--timeout", "0", "--graceful-timeout", "10"),
        ]

    def env(self) -> dict[str, str]:
        return {"GUNICORN_THREADS": str(self.threads)}

    def describe(self) -> dict[str, object]:
        return {
            "worker_class": "uvicorn (gunicorn worker), Flask behind the ASGI front",
            "workers": 1,
            "threads": self.threads,
            "config": self.config or "flags mirroring functions/runtime/server.py",
        }


class FloorServer:
    def __init__(
        self,
        database_url: str,
        settings: ServerSettings,
        log_file: Path,
        dapr_http_port: int | None = None,
    ) -> None:
        self.port = free_port()
        self.settings = settings
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "PORT": str(self.port),
            "FLOOR_DATABASE_URL": database_url,
            **settings.env(),
        }
        if dapr_http_port is not None:
            env["FLOOR_DAPR_HTTP_PORT"] = str(dapr_http_port)
        argv = [sys.executable, "-m", "gunicorn", *settings.argv(self.port)]
        argv.append("bench.floor.app:create_asgi_app()")
        self.process = ManagedProcess(argv, log_file=log_file, env=env, cwd=REPO)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process.pid is not None, "the floor is not running"
        return self.process.pid

    def start(self) -> FloorServer:
        self.process.start()
        wait_until(lambda: http_ok(f"{self.url}/health"), what="floor app", process=self.process)
        return self

    def stop(self) -> None:
        self.process.stop()
