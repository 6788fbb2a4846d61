"""Build any app by name: the one image's entry point.

    FUNCTION_TARGET=todo gunicorn -c python:functions.gunicorn_conf 'functions.wsgi:create_app()'

`todo` and `hub` are Flask services; `audit`, `recurring` and `notify` are
functions-framework CloudEvent functions built from `functions/main.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import functions_framework
from flask import Flask

from functions.shared.consumer import EXTENSION
from functions.shared.context import AppContext
from functions.shared.outbox import Publisher
from functions.shared.relay import OutboxRelay
from functions.shared.settings import Settings, use_settings

APP_IDS = ("todo", "hub", "audit", "recurring", "notify")
FUNCTION_APPS = ("audit", "recurring", "notify")
MAIN = Path(__file__).with_name("main.py")


def build_app(target: str, settings: Settings) -> tuple[Flask, AppContext]:
    """The WSGI app for `target` and its context (not started)."""
    if target == "todo":
        from functions import todo

        app = todo.create_app(settings)
    elif target == "hub":
        from functions import hub

        app = hub.create_app(settings)
    elif target in FUNCTION_APPS:
        with use_settings(settings):
            app = functions_framework.create_app(target, str(MAIN), "cloudevent")
    else:
        raise ValueError(f"FUNCTION_TARGET must be one of {', '.join(APP_IDS)}, not {target!r}")
    return app, app.extensions[EXTENSION]


def attach_relay(ctx: AppContext, publisher: Publisher) -> None:
    """Publish the app's outbox with `publisher`, woken by each commit."""
    if ctx.outbox is None:
        return
    settings = ctx.settings
    relay = OutboxRelay(
        ctx.app_id,
        ctx.sessions,
        ctx.outbox,
        publisher,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
        max_backoff_seconds=settings.outbox_max_backoff_seconds,
        failpoint=settings.failpoint,
        readers=ctx.readers,
    )
    ctx.on_commit.append(relay.wake)
    ctx.workers.insert(0, relay)


def create_app(target: str | None = None) -> Flask:
    """One app in Dapr mode (its sidecar publishes), started and ready to serve."""
    from functions.shared.sidecar import DaprClient

    settings = Settings.from_env()
    app, ctx = build_app(target or os.environ.get("FUNCTION_TARGET", ""), settings)
    if settings.mode == "dapr":
        attach_relay(ctx, DaprClient(settings))
    ctx.start()
    app.extensions["todomesh_stop"] = ctx.stop
    return app
