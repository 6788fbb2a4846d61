"""The embedded platform: every app in one process, with an in-process Dapr stand-in.

It reads the same subscriptions, bindings and resiliency files as daprd, keeps
a durable broker log in `<data-dir>/runtime.db`, relays each app's outbox into
it, delivers to the subscribed routes, and fires the cron bindings. One front
serves `/api/...`, `/ws/...`, the web page and, unless a real identity provider
is configured, the built-in one (`/.well-known/...`, `/oauth/...`) on a single
origin.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import Client

from functions.apps import APP_IDS, attach_relay, build_app
from functions.identity.hosting import builtin_identity, identity_app, open_provider
from functions.runtime.broker import BrokerPublisher
from functions.runtime.resources import DEFAULT_RESOURCE_DIRS
from functions.runtime.router import Router
from functions.runtime.runtime import Runtime
from functions.shared.context import AppContext
from functions.shared.logs import configure_logging
from functions.shared.settings import Settings

log = logging.getLogger(__name__)


class Platform:
    def __init__(
        self,
        settings: Settings,
        resource_dirs: Iterable[Path] = DEFAULT_RESOURCE_DIRS,
        app_ids: Iterable[str] = APP_IDS,
    ) -> None:
        configure_logging(settings.log_level)
        self.settings = settings
        self.apps: dict[str, Flask] = {}
        self.contexts: dict[str, AppContext] = {}
        for app_id in app_ids:
            self.apps[app_id], self.contexts[app_id] = build_app(app_id, settings)
        self.identity: Flask | None = None
        if builtin_identity(settings):
            self.identity = identity_app(open_provider(settings))
        self.runtime = Runtime(settings, resource_dirs, self.apps)
        publisher = BrokerPublisher(self.runtime.broker, settings.pubsub_name)
        for ctx in self.contexts.values():
            attach_relay(ctx, publisher)
        self.wsgi = Router(self)

    @property
    def broker(self) -> Any:
        return self.runtime.broker

    def start(self) -> None:
        for ctx in self.contexts.values():
            ctx.start()
        self.runtime.start()
        log.info("platform started", extra={"data_dir": str(self.settings.data_dir)})

    def goodbye(self) -> None:
        """First step of a shutdown: let apps close long-lived connections (hub: 1001)."""
        for ctx in self.contexts.values():
            ctx.goodbye()

    def stop(self) -> None:
        self.goodbye()
        self.runtime.stop()
        for ctx in self.contexts.values():
            ctx.stop()
        log.info("platform stopped")

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Each app's readiness, as its own `/ready` reports it."""
        report: dict[str, Any] = {}
        ok = True
        for app_id, app in self.apps.items():
            response = Client(app).get("/ready")
            report[app_id] = json.loads(response.get_data() or b"{}")
            ok = ok and response.status_code == 200
        return ok, report
