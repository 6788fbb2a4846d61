"""The Dapr stand-in on its own: a durable broker, one dispatcher per subscription, cron.

It serves any set of WSGI apps by app-id, so its contract can be tested with
small subscriber apps as well as with the real ones (see `platform.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from functions.runtime.broker import SCHEMA, Broker, subscription_key
from functions.runtime.cron import CronRunner
from functions.runtime.dispatcher import Dispatcher
from functions.runtime.resources import load_resources
from functions.shared.db import make_engine, migrate, session_factory
from functions.shared.retention import Pruner
from functions.shared.settings import Settings


class Runtime:
    """Delivers to `delivered` (default: all of `apps`). `all_apps` names every app of the
    deployment, some perhaps served by another process over the same log: a publish
    stores a delivery for each of their subscriptions, and `peer(key)` is called for
    those this runtime does not deliver (see `consumers.py`)."""

    def __init__(
        self,
        settings: Settings,
        resource_dirs: Iterable[Path],
        apps: Mapping[str, Any],
        delivered: Collection[str] | None = None,
        all_apps: Collection[str] | None = None,
        prune: bool = True,
    ) -> None:
        self.apps = apps
        delivered = set(apps if delivered is None else delivered)
        everyone = delivered | set(all_apps or ())
        self.resources = load_resources(resource_dirs)
        self.engine = make_engine(settings, SCHEMA)
        migrate(self.engine, SCHEMA)
        subscriptions = [s for s in self.resources.subscriptions if s.app_id in everyone]
        self.broker = Broker(session_factory(self.engine), subscriptions)
        self.dispatchers = {
            key: Dispatcher(self.broker, sub, self.transport, self.resources.retry_for(sub.pubsub))
            for key, sub in ((subscription_key(s), s) for s in subscriptions)
            if sub.app_id in delivered
        }
        self.peer: Callable[[str], None] = lambda _key: None
        self.broker.on_publish(self._wake)
        self.cron = [
            CronRunner(b, self.transport) for b in self.resources.cron if b.app_id in delivered
        ]
        retention = timedelta(days=settings.retention_days)
        self.pruner = (
            Pruner("prune-runtime", lambda: self.broker.prune(retention)) if prune else None
        )

    def transport(
        self, app_id: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """POST to an app in-process, as daprd would over HTTP."""
        response = Client(self.apps[app_id]).post(path, data=body, headers=headers)
        return response.status_code, response.get_data()

    def _wake(self, subscription_key: str) -> None:
        if subscription_key in self.dispatchers:
            self.wake(subscription_key)
        else:
            self.peer(subscription_key)

    def wake(self, subscription_key: str) -> None:
        """Wake the dispatcher of `subscription_key`, if this runtime has it."""
        dispatcher = self.dispatchers.get(subscription_key)
        if dispatcher:
            dispatcher.wake()

    def start(self) -> None:
        self.broker.resume(self.dispatchers)
        for dispatcher in self.dispatchers.values():
            dispatcher.start()
        for runner in self.cron:
            runner.start()
        if self.pruner:
            self.pruner.start()

    def stop(self) -> None:
        if self.pruner:
            self.pruner.stop()
        for runner in self.cron:
            runner.stop()
        for dispatcher in self.dispatchers.values():
            dispatcher.stop()
        self.engine.dispose()
