"""The WebSocket hub: pushes each user's task changes to every open client of that user.

app = create_app(settings)
context(app).goodbye()    # on SIGTERM: every WebSocket is closed with 1001
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_from_directory

from functions.hub.connections import GOING_AWAY, Connections
from functions.hub.models import ProcessedEvent
from functions.hub.replay import SqlReplayLog, prune
from functions.hub.service import Hub
from functions.hub.stream import ReaderThread
from functions.hub.subscriptions import subscriptions
from functions.hub.ws import sock, websockets
from functions.shared.context import AppContext, build_context
from functions.shared.health import Check
from functions.shared.retention import Pruner
from functions.shared.settings import Settings
from functions.shared.wiring import init_app

APP_ID = "hub"
STATIC = Path(__file__).with_name("static")
MAX_CLIENT_MESSAGE = 64 * 1024


def build(settings: Settings) -> AppContext:
    ctx = build_context(APP_ID, settings, processed=ProcessedEvent)
    prune_every = min(300.0, max(1.0, settings.hub_retention_seconds / 10))
    max_age = settings.hub_retention_seconds
    ctx.workers.append(Pruner("hub-retention", lambda: prune(ctx.sessions, max_age), prune_every))
    connections = Connections(settings.hub_queue_size)
    ctx.provide(connections)
    ctx.provide(Hub(settings, connections, SqlReplayLog(ctx.readers)))
    ctx.on_goodbye.append(lambda: connections.close_all(GOING_AWAY))
    return ctx


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> Flask:
    settings = settings or Settings.from_env()
    ctx = context or build(settings)
    app = Flask(APP_ID, static_folder=str(STATIC), static_url_path="/static")
    app.config["SOCK_SERVER_OPTIONS"] = {
        "ping_interval": settings.hub_ping_seconds,
        "max_message_size": MAX_CLIENT_MESSAGE,
        "thread_class": ReaderThread,
    }
    connections = ctx.get(Connections)
    init_app(app, ctx, [Check("connections", lambda: {"open": connections.count()}, False)])
    sock.init_app(app)
    app.register_blueprint(websockets)
    app.register_blueprint(subscriptions)

    @app.get("/")
    def index() -> Response:
        return send_from_directory(STATIC, "index.html", max_age=0)

    return app
