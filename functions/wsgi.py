"""Build any app by name: the one image's entry point.

    FUNCTION_TARGET=todo gunicorn -c python:functions.gunicorn_conf 'functions.wsgi:create_app()'

`todo` and `hub` are Flask services; `audit`, `recurring` and `notify` are
functions-framework CloudEvent functions (see `functions.apps`).
"""

from __future__ import annotations

import os

from flask import Flask

from functions.apps import attach_relay, build_app
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient


def create_app(target: str | None = None) -> Flask:
    """One app in Dapr mode (its sidecar publishes), started and ready to serve."""
    settings = Settings.from_env()
    app, ctx = build_app(target or os.environ.get("FUNCTION_TARGET", ""), settings)
    if settings.mode == "dapr":
        attach_relay(ctx, DaprClient(settings))
    ctx.start()
    return app
