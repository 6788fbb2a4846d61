"""The self-hosted Dapr mode: each app under gunicorn with its own `daprd`.

`todomesh up --dapr` and the integration tests use the same `SelfHostedPlatform`:
it renders the Dapr resources for the given Kafka, PostgreSQL and SMTP
addresses, migrates every schema, starts each app and its sidecar on their
ports, waits until all are ready, and stops them app first, then sidecar.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from functions.launcher.binaries import DaprBinaries, dapr_binaries
from functions.launcher.identity import HOST
from functions.launcher.platform import Addresses, LaunchedPlatform
from functions.launcher.processes import ManagedProcess, free_port, http_ok, wait_until
from functions.launcher.render import config_path
from functions.launcher.sidecars import Daprd, Scheduler

__all__ = ["Addresses", "Member", "SelfHostedPlatform", "running"]


@dataclass
class Member:
    """One app and its sidecar."""

    app_id: str
    port: int
    app: ManagedProcess
    sidecar: Daprd

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sidecar_url(self) -> str:
        return self.sidecar.url

    @property
    def pod_name(self) -> str:
        """What `{podName}` resolves to in its sidecar's components."""
        return self.sidecar.pod_name

    def start(self) -> None:
        self.sidecar.start()
        self.start_app()

    def stop(self) -> None:
        self.stop_app()
        self.sidecar.stop()

    def start_app(self, timeout: float = 60.0) -> None:
        self.app.start()
        wait_until(
            lambda: http_ok(f"{self.url}/ready"),
            what=f"app {self.app_id}",
            timeout=timeout,
            process=self.app,
        )

    def stop_app(self, sig: int = signal.SIGTERM) -> None:
        self.app.stop(sig)

    def kill_app(self) -> None:
        self.app.kill()


@dataclass
class SelfHostedPlatform(LaunchedPlatform):
    binaries: DaprBinaries = field(default_factory=dapr_binaries)
    scheduler: Scheduler | None = None

    def new_member(self, app_id: str, name: str) -> Member:
        port = self.identity.port if name == HOST else free_port()
        scheduler = self.scheduler.address if self.scheduler else None
        sidecar = Daprd(
            app_id,
            port,
            self.work_dir / "resources",
            config_path(),
            binaries=self.binaries,
            scheduler_address=scheduler,
            base_dir=self.work_dir,
            env=self.tokens,
        )
        env = {
            **os.environ,
            "PORT": str(port),
            "DAPR_HTTP_PORT": str(sidecar.http_port),
            **self.app_env(app_id),
        }
        env.pop("DATABASE_URL", None)  # read through the Dapr secrets API, as in a cluster
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:functions.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
        ]
        app = ManagedProcess(argv, log_file=self.work_dir / f"{name}.log", env=env)
        return Member(app_id, port, app, sidecar)


@contextmanager
def running(addresses: Addresses, work_dir: Path, **kwargs: object) -> Iterator[SelfHostedPlatform]:
    platform = SelfHostedPlatform(addresses, work_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield platform.start()
    finally:
        platform.stop()
