"""The one image's entry point: `FUNCTION_TARGET` picks the app, served over ASGI.

    FUNCTION_TARGET=todo gunicorn -c python:functions.gunicorn_conf 'functions.asgi:create_app()'

Every app is a Flask app (see `functions.apps`) mounted behind an ASGI front
(`functions.shared.asgi`), which adds the routes that are not WSGI: the hub's
WebSockets and todo's MCP endpoint.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from functions.apps import attach_relay, build_app
from functions.shared.asgi import AsgiParts, front, threads_from_env
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient


def create_app(target: str | None = None, threads: int | None = None) -> Starlette:
    """One app in Dapr mode (its sidecar publishes); started by the server's lifespan."""
    settings = Settings.from_env()
    app, ctx = build_app(target or os.environ.get("FUNCTION_TARGET", ""), settings)
    if settings.mode == "dapr":
        # a writer publishes its own events before it answers, as the stack's floor does
        # (one publish per request through daprd), with the outbox behind it
        attach_relay(ctx, DaprClient(settings), flush=True)
    parts = [ctx.find(AsgiParts) or AsgiParts()]
    threads = threads or threads_from_env()
    return front(app, parts, start=ctx.start, stop=ctx.stop, threads=threads)
