"""The self-hosted Dapr mode: each app under gunicorn with its own `daprd`.

`todomesh up --dapr` and the integration tests use the same `SelfHostedPlatform`:
it renders the Dapr resources for the given Kafka, PostgreSQL and SMTP
addresses, migrates every schema, starts each app and its sidecar on their
ports, waits until all are ready, and stops them app first, then sidecar.
"""

from __future__ import annotations

import functools
import os
import secrets
import signal
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from functions.apps import APP_IDS
from functions.launcher.binaries import DaprBinaries, dapr_binaries
from functions.launcher.identity import HOST, BuiltinIdentity
from functions.launcher.processes import ManagedProcess, free_port, http_ok, wait_until
from functions.launcher.render import config_path, render_resources, write_secrets_file
from functions.launcher.sidecars import Daprd, Scheduler
from functions.shared.db import make_engine, migrate
from functions.shared.settings import Settings


@dataclass(frozen=True)
class Addresses:
    database_url: str
    kafka_brokers: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525


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
class SelfHostedPlatform:
    addresses: Addresses
    work_dir: Path
    app_ids: Iterable[str] = APP_IDS
    binaries: DaprBinaries = field(default_factory=dapr_binaries)
    scheduler: Scheduler | None = None
    env: dict[str, str] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    @functools.cached_property
    def _tokens(self) -> dict[str, str]:
        """The token daprd shows the apps (only the sidecars may deliver events), and the
        one the apps show daprd (only they may call it)."""
        return {
            "APP_API_TOKEN": secrets.token_urlsafe(32),
            "DAPR_API_TOKEN": secrets.token_urlsafe(32),
        }

    @functools.cached_property
    def identity(self) -> BuiltinIdentity:
        """The built-in provider, hosted by the first todo member."""
        return BuiltinIdentity(self.work_dir / "identity")

    def prepare(self) -> Path:
        """Render the resources and the secrets file; bring every schema up to date."""
        secrets = write_secrets_file(
            self.work_dir / "secrets.json", database_url=self.addresses.database_url
        )
        resources = render_resources(
            self.work_dir / "resources",
            kafka_brokers=self.addresses.kafka_brokers,
            secrets_file=secrets,
            smtp_host=self.addresses.smtp_host,
            smtp_port=self.addresses.smtp_port,
        )
        self.identity.prepare()
        settings = Settings(database_url=self.addresses.database_url)
        for app_id in APP_IDS:
            engine = make_engine(settings, app_id)
            migrate(engine, app_id)
            engine.dispose()
        return resources

    def start(self) -> SelfHostedPlatform:
        self.prepare()
        for app_id in self.app_ids:
            self.add_member(app_id)
        return self

    def add_member(self, app_id: str, name: str | None = None) -> Member:
        """Start one more replica of `app_id` (app and sidecar on new ports) after
        `prepare()`, kept as `members[name or app_id]`; `stop()` stops it too."""
        name = name or app_id
        if name in self.members:
            raise ValueError(f"a member named {name!r} is already running")
        port = self.identity.port if name == HOST else free_port()
        member = self._member(app_id, port, self.work_dir / "resources", log_name=name)
        self.members[name] = member
        member.sidecar.start()
        member.start_app()
        return member

    def stop(self) -> None:
        for member in reversed(list(self.members.values())):
            member.stop_app()
            member.sidecar.stop()
        self.members.clear()

    def _member(
        self, app_id: str, port: int, resources: Path, log_name: str | None = None
    ) -> Member:
        scheduler = self.scheduler.address if self.scheduler else None
        token = self._tokens
        sidecar = Daprd(
            app_id,
            port,
            resources,
            config_path(),
            binaries=self.binaries,
            scheduler_address=scheduler,
            base_dir=self.work_dir,
            env=token,
        )
        env = {
            **os.environ,
            "FUNCTION_TARGET": app_id,
            "PORT": str(port),
            "TODOMESH_MODE": "dapr",
            "DAPR_HTTP_PORT": str(sidecar.http_port),
            **self.identity.env_for(app_id, hosted=HOST in self.app_ids),
            **self.env,
            **token,
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
        app = ManagedProcess(argv, log_file=self.work_dir / f"{log_name or app_id}.log", env=env)
        return Member(app_id, port, app, sidecar)


@contextmanager
def running(addresses: Addresses, work_dir: Path, **kwargs: object) -> Iterator[SelfHostedPlatform]:
    platform = SelfHostedPlatform(addresses, work_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield platform.start()
    finally:
        platform.stop()
