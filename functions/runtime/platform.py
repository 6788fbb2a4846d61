"""The embedded platform: every app in one process, with an in-process Dapr stand-in.

It reads the same subscriptions, bindings and resiliency files as daprd, keeps
a durable broker log in `<data-dir>/runtime.db`, relays each app's outbox into
it, delivers to the subscribed routes, and fires the cron bindings. One front
serves `/api/...`, `/ws/...`, the web page and, unless a real identity provider
is configured, the built-in one (`/.well-known/...`, `/oauth/...`) on a single
origin.

`todomesh dev` runs it in two parts (`FRONT` and `CONSUMERS`, see `consumers.py`): the
consumer functions' and the hub's deliveries in a second process, so that they do not
take the API's interpreter; the hub's clients stay with the API, and the second process
tells it what it recorded (`functions.hub.follow`). `WHOLE` keeps everything in one
process, as the tests that drive the platform in-process do.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask
from prometheus_client import generate_latest
from werkzeug.test import Client

from functions.apps import APP_IDS, attach_relay, build_app
from functions.hub import follow
from functions.hub.service import Hub
from functions.identity.hosting import builtin_identity, identity_app, open_provider
from functions.runtime.broker import BrokerPublisher
from functions.runtime.consumers import CONSUMER_APPS, ConsumerProcess
from functions.runtime.metrics import Combined
from functions.runtime.resources import DEFAULT_RESOURCE_DIRS
from functions.runtime.router import Router
from functions.runtime.runtime import Runtime
from functions.shared.context import AppContext
from functions.shared.logs import configure_logging
from functions.shared.settings import Settings

log = logging.getLogger(__name__)


WHOLE, FRONT, CONSUMERS = "whole", "front", "consumers"


class Platform:
    def __init__(
        self,
        settings: Settings,
        resource_dirs: Iterable[Path] = DEFAULT_RESOURCE_DIRS,
        app_ids: Iterable[str] = APP_IDS,
        part: str = WHOLE,
    ) -> None:
        configure_logging(settings.log_level)
        self.settings = settings
        self.part = part
        resource_dirs, app_ids = list(resource_dirs), list(app_ids)
        apart = [a for a in app_ids if a in CONSUMER_APPS] if part != WHOLE else []
        self.apps: dict[str, Flask] = {}
        self.contexts: dict[str, AppContext] = {}
        for app_id in app_ids:
            if part == CONSUMERS and app_id not in apart:
                continue
            role = {FRONT: "query", CONSUMERS: "consumer"}.get(part) if app_id in apart else None
            app_settings = settings.replace(role=role) if role else settings
            self.apps[app_id], self.contexts[app_id] = build_app(app_id, app_settings)
        self.identity: Flask | None = None
        if part != CONSUMERS and builtin_identity(settings):
            self.identity = identity_app(open_provider(settings))
        # the apps this process delivers to; the others' subscriptions still get their
        # share of each publish, and the other process is woken for them
        delivered = [a for a in app_ids if (a in apart) == (part == CONSUMERS)]
        self.runtime = Runtime(
            settings, resource_dirs, self.apps, delivered, all_apps=app_ids, prune=part != CONSUMERS
        )
        publisher = BrokerPublisher(self.runtime.broker, settings.pubsub_name)
        for ctx in self.contexts.values():
            attach_relay(ctx, publisher)
        hub = self.contexts["hub"].find(Hub) if "hub" in self.contexts else None
        self.hub = hub if "hub" in apart else None  # split: records in CONSUMERS, pushes in FRONT
        # FRONT: the hub's half with the clients, which `EVERYONE` wakes
        self._catch_up = self.contexts["hub"].find(follow.CatchUp) if self.hub is not None else None
        # CONSUMERS: how the hub's hints reach the server (the link's `lossy` keys)
        self.hints: Callable[[str], None] = lambda _key: None
        if part == CONSUMERS and self.hub is not None:
            self.hub.elsewhere = lambda key: self.hints(key)
        self.consumers: ConsumerProcess | None = None
        if part == FRONT and apart:
            self.consumers = ConsumerProcess(settings, resource_dirs, app_ids)
            self.consumers.on_key = self._on_key
            self.runtime.peer = self.consumers.send
        self.metrics: Callable[[], bytes] = (
            Combined(self.consumers.metrics) if self.consumers else generate_latest
        )
        self.wsgi = Router(self)

    @property
    def broker(self) -> Any:
        return self.runtime.broker

    def start(self) -> None:
        for ctx in self.contexts.values():
            ctx.start()
        self.runtime.start()
        if self.part == CONSUMERS and self.hub is not None:
            self.hints(follow.EVERYONE)  # the hints a process before us left unsent
        if self.consumers is not None:
            self.consumers.start()
        log.info(
            "platform started", extra={"data_dir": str(self.settings.data_dir), "part": self.part}
        )

    def _on_key(self, key: str) -> None:
        """A key from the consumer process: a dispatcher to wake, or the hub's hint."""
        if not key.startswith(follow.PREFIX):
            self.runtime.wake(key)
        elif self.hub is not None and self._catch_up is not None:
            try:
                follow.follow(key, self.hub.connections, self._catch_up)
            except ValueError as exc:  # the link's reader must go on
                log.warning("an unreadable hub hint", extra={"error": str(exc)})

    def goodbye(self) -> None:
        """First step of a shutdown: let apps close long-lived connections (hub: 1001)."""
        for ctx in self.contexts.values():
            ctx.goodbye()

    def stop(self) -> None:
        self.goodbye()
        if self.consumers is not None:
            self.consumers.terminate()  # it stops while this process does
        self.runtime.stop()
        for ctx in self.contexts.values():
            ctx.stop()
        if self.consumers is not None:
            self.consumers.stop()
        log.info("platform stopped")

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Each app's readiness, as its own `/ready` reports it."""
        report: dict[str, Any] = {}
        ok = True
        for app_id, app in self.apps.items():
            response = Client(app).get("/ready")
            report[app_id] = json.loads(response.get_data() or b"{}")
            ok = ok and response.status_code == 200
        if self.consumers is not None:  # their query halves answered above
            consumers_ready = self.consumers.ready
            report["consumers"] = {"status": "ready" if consumers_ready else "starting"}
            ok = ok and consumers_ready
        return ok, report
