"""The five apps by id: build one with its settings, and attach its outbox relay.

Both entry points build apps here: `functions.asgi` (one app per process,
under gunicorn, beside its daprd) and the embedded platform
(`functions.runtime.platform`, every app in one process).
"""

from __future__ import annotations

from pathlib import Path

import functions_framework
from flask import Flask

from functions.shared.context import AppContext
from functions.shared.outbox import Publisher
from functions.shared.relay import OutboxRelay
from functions.shared.settings import Settings
from functions.shared.wiring import context, install_function
from functions.targets import FUNCTION_APPS

APP_IDS = ("todo", "hub", "audit", "recurring", "notify")
TARGETS = Path(__file__).with_name("targets.py")


def build_app(target: str, settings: Settings) -> tuple[Flask, AppContext]:
    """The WSGI app for `target` and its context (not started)."""
    if target == "todo":
        from functions import todo

        app = todo.create_app(settings)
    elif target == "hub":
        from functions import hub

        app = hub.create_app(settings)
    elif target in FUNCTION_APPS:
        app = functions_framework.create_app(target, str(TARGETS), "cloudevent")
        install_function(app, FUNCTION_APPS[target], settings)
    else:
        raise ValueError(f"FUNCTION_TARGET must be one of {', '.join(APP_IDS)}, not {target!r}")
    return app, context(app)


def attach_relay(ctx: AppContext, publisher: Publisher, *, flush: bool = False) -> None:
    """Publish the app's outbox with `publisher` (not in the half of a function that only
    answers queries: it writes no events). Each commit wakes the relay, or with `flush`
    publishes its events itself before it answers (`OutboxRelay.flush`)."""
    if ctx.outbox is None or not ctx.settings.serves_events:
        return
    settings = ctx.settings
    relay = OutboxRelay(
        ctx.app_id,
        ctx.sessions,
        ctx.outbox,
        publisher,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.relay_poll_seconds,
        max_backoff_seconds=settings.outbox_max_backoff_seconds,
        failpoint=settings.failpoint,
        readers=ctx.readers,
    )
    after_commit = relay.flush if flush else relay.written
    ctx.on_commit.append(lambda _events: after_commit())
    ctx.workers.insert(0, relay)
