"""The Dapr stand-in on its own: a durable broker, one dispatcher per subscription, cron.

It serves any set of WSGI apps by app-id, so its contract can be tested with
small subscriber apps as well as with the real ones (see `platform.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    def __init__(
        self, settings: Settings, resource_dirs: Iterable[Path], apps: Mapping[str, Any]
    ) -> None:
        self.apps = apps
        self.resources = load_resources(resource_dirs)
        self.engine = make_engine(settings, SCHEMA)
        migrate(self.engine, SCHEMA)
        subscriptions = [s for s in self.resources.subscriptions if s.app_id in apps]
        self.broker = Broker(session_factory(self.engine), subscriptions)
        self.dispatchers = {
            key: Dispatcher(self.broker, sub, self.transport, self.resources.retry_for(sub.pubsub))
            for key, sub in ((subscription_key(s), s) for s in subscriptions)
        }
        self.broker.on_publish(self._wake)
        self.cron = [CronRunner(b, self.transport) for b in self.resources.cron if b.app_id in apps]
        retention = timedelta(days=settings.retention_days)
        self.pruner = Pruner("prune-runtime", lambda: self.broker.prune(retention))

    def transport(
        self, app_id: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """POST to an app in-process, as daprd would over HTTP."""
        response = Client(self.apps[app_id]).post(path, data=body, headers=headers)
        return response.status_code, response.get_data()

    def _wake(self, subscription_key: str) -> None:
        dispatcher = self.dispatchers.get(subscription_key)
        if dispatcher:
            dispatcher.wake()

    def start(self) -> None:
        self.broker.resume()
        for dispatcher in self.dispatchers.values():
            dispatcher.start()
        for runner in self.cron:
            runner.start()
        self.pruner.start()

    def stop(self) -> None:
        self.pruner.stop()
        for runner in self.cron:
            runner.stop()
        for dispatcher in self.dispatchers.values():
            dispatcher.stop()
        self.engine.dispose()
