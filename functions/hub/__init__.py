"""The WebSocket hub: pushes each user's task changes to every open client of that user.

`create_app(settings)` is the Flask side (deliveries, the page, probes); the
WebSockets are ASGI routes (`functions.hub.ws`) that the app's context offers
as `AsgiParts`, with a goodbye that closes every WebSocket with 1001. By
`settings.role`, as the functions are, it may be the half that records
deliveries or the half that holds the clients (`todomesh dev`, see
`functions.hub.follow`).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from starlette.routing import WebSocketRoute

from functions.hub.connections import GOING_AWAY, Connections
from functions.hub.follow import CatchUp
from functions.hub.models import ProcessedEvent
from functions.hub.page import page_routes
from functions.hub.replay import SqlReplayLog, prune
from functions.hub.service import Hub
from functions.hub.subscriptions import subscriptions
from functions.hub.ws import endpoint
from functions.shared.asgi import AsgiParts
from functions.shared.context import AppContext, build_context
from functions.shared.health import Check
from functions.shared.identity.lazy import LazyVerifier
from functions.shared.retention import Pruner
from functions.shared.settings import Settings
from functions.shared.wiring import init_app

APP_ID = "hub"
STATIC = Path(__file__).with_name("static")


def build(settings: Settings) -> AppContext:
    ctx = build_context(APP_ID, settings, processed=ProcessedEvent)
    connections = Connections(settings.hub_queue_size)
    hub = Hub(settings, connections, SqlReplayLog(ctx.readers), ctx.get(LazyVerifier))
    if settings.serves_events:  # the log's and the claims' retention are the recording half's
        prune_every = min(300.0, max(1.0, settings.hub_retention_seconds / 10))
        max_age = settings.hub_retention_seconds
        prune_log = Pruner("hub-retention", lambda: prune(ctx.sessions, max_age), prune_every)
        ctx.workers.append(prune_log)
    else:  # the half with the clients, in `todomesh dev`: no pruner of the claims either
        catch_up = CatchUp(connections, hub.replay_log)
        ctx.workers[:] = [catch_up]
        ctx.provide(catch_up)
    ctx.provide(connections)
    ctx.provide(hub)
    ctx.provide(AsgiParts([WebSocketRoute("/ws/{user_id}", endpoint(hub))], connections.goodbye))
    ctx.on_goodbye.append(lambda: connections.close_all(GOING_AWAY))
    return ctx


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> Flask:
    settings = settings or Settings.from_env()
    ctx = context or build(settings)
    app = Flask(APP_ID, static_folder=str(STATIC), static_url_path="/static")
    connections = ctx.get(Connections)
    init_app(app, ctx, [Check("connections", lambda: {"open": connections.count()}, False)])
    if settings.serves_events:
        app.register_blueprint(subscriptions)
    app.register_blueprint(page_routes(settings, STATIC))
    return app
