"""What every way of starting the apps beside real daprd sidecars shares.

A `LaunchedPlatform` renders the Dapr resources and the secrets file for the
addresses its sidecars see, migrates every schema, mints the tokens that sidecars
and apps show each other, hosts the built-in identity provider in its todo
member, and keeps its members by name. `SelfHostedPlatform` (processes on this
machine) and `PodPlatform` (a podman pod per app) say how a member runs.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from functions.apps import APP_IDS
from functions.launcher.identity import HOST, BuiltinIdentity
from functions.launcher.render import render_resources, write_secrets_file
from functions.shared.db import make_engine, migrate
from functions.shared.settings import Settings


@dataclass(frozen=True)
class Addresses:
    database_url: str
    kafka_brokers: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525


class Member(Protocol):
    """One app and its sidecar, however they run."""

    app_id: str

    @property
    def url(self) -> str: ...

    @property
    def sidecar_url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def migrate_all(database_url: str) -> None:
    """Bring every app's schema up to date."""
    settings = Settings(database_url=database_url)
    for app_id in APP_IDS:
        engine = make_engine(settings, app_id)
        migrate(engine, app_id)
        engine.dispose()


@dataclass
class LaunchedPlatform:
    addresses: Addresses
    work_dir: Path
    app_ids: Iterable[str] = APP_IDS
    env: dict[str, str] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)

    @functools.cached_property
    def tokens(self) -> dict[str, str]:
        """The token daprd shows the apps (only the sidecars may deliver events), and the
        one the apps show daprd (only they may call it)."""
        return {
            "APP_API_TOKEN": secrets.token_urlsafe(32),
            "DAPR_API_TOKEN": secrets.token_urlsafe(32),
        }

    @functools.cached_property
    def identity(self) -> BuiltinIdentity:
        """The built-in provider, hosted by the todo member."""
        return BuiltinIdentity(self.work_dir / "identity")

    def sidecar_addresses(self) -> Addresses:
        """The addresses as the sidecars and apps reach them."""
        return self.addresses

    def secrets_path(self, written: Path) -> Path:
        """Where a sidecar finds the secrets file written at `written`."""
        return written

    def prepare(self) -> Path:
        """Render the resources and the secrets file; bring every schema up to date."""
        seen = self.sidecar_addresses()
        written = write_secrets_file(self.work_dir / "secrets.json", database_url=seen.database_url)
        resources = render_resources(
            self.work_dir / "resources",
            kafka_brokers=seen.kafka_brokers,
            secrets_file=self.secrets_path(written),
            smtp_host=seen.smtp_host,
            smtp_port=seen.smtp_port,
        )
        self.identity.prepare()
        migrate_all(self.addresses.database_url)
        return resources

    def app_env(self, app_id: str) -> dict[str, str]:
        """What every app is started with: its target, the Dapr mode, identity, tokens."""
        return {
            "FUNCTION_TARGET": app_id,
            "TODOMESH_MODE": "dapr",
            **self.identity.env_for(app_id, hosted=HOST in self.app_ids),
            **self.env,
            **self.tokens,
        }

    def start(self) -> LaunchedPlatform:
        self.prepare()
        for app_id in self.app_ids:
            self.add_member(app_id)
        return self

    def add_member(self, app_id: str, name: str | None = None) -> Member:
        """Start one more replica of `app_id` after `prepare()`, kept as
        `members[name or app_id]`; `stop()` stops it too."""
        name = name or app_id
        if name in self.members:
            raise ValueError(f"a member named {name!r} is already running")
        member = self.new_member(app_id, name)
        self.members[name] = member
        member.start()
        return member

    def new_member(self, app_id: str, name: str) -> Member:
        raise NotImplementedError

    def stop(self) -> None:
        for member in reversed(list(self.members.values())):
            member.stop()
        self.members.clear()
