"""The todo service: a REST API over one user's tasks that tells every change as events."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, send_file

from functions.identity.blueprint import create_blueprint
from functions.identity.hosting import open_provider
from functions.shared.context import AppContext, build_context
from functions.shared.health import Check
from functions.shared.outbox import outbox_lag
from functions.shared.retention import Pruner
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient
from functions.shared.wiring import init_app
from functions.todo.api import api
from functions.todo.chat.configure import assistant_from
from functions.todo.chat.routes import chat_routes
from functions.todo.dead_letters import dead_letter_routes, prune_dead_letters
from functions.todo.mcp_server import mcp_parts
from functions.todo.models import Outbox, ProcessedEvent
from functions.todo.reminders import ReminderJobs, ReminderTimer

APP_ID = "todo"
OPENAPI = Path(__file__).with_name("openapi.json")


def build(settings: Settings) -> AppContext:
    ctx = build_context(APP_ID, settings, outbox=Outbox, processed=ProcessedEvent)
    days = settings.retention_days
    ctx.workers.append(Pruner("prune-dead-letters", lambda: prune_dead_letters(ctx, days)))
    parts = mcp_parts(ctx)
    if parts is not None:
        ctx.provide(parts)
    assistant = assistant_from(settings)
    if assistant is not None:
        ctx.provide(assistant)
    if settings.reminder_mode == "sweep":  # with `jobs`, daprd's Scheduler keeps the time
        # Embedded, every reminder is set in this process and its commit wakes the timer;
        # in Dapr mode other replicas set reminders too, which no wake announces.
        timer = ReminderTimer(ctx, recheck_seconds=5.0 if settings.mode == "dapr" else 60.0)
        ctx.workers.append(timer)
        ctx.on_commit.append(timer.committed)
    return ctx


def create_app(settings: Settings | None = None, *, context: AppContext | None = None) -> Flask:
    settings = settings or Settings.from_env()
    ctx = context or build(settings)
    app = Flask(APP_ID)
    checks = [Check("outbox", lambda: outbox_lag(ctx.readers, Outbox), critical=False)]
    if settings.mode == "dapr":
        client = DaprClient(settings)
        checks.append(Check("sidecar", lambda: _require(client.healthy()), critical=False))
        if settings.reminder_mode == "jobs":
            ctx.provide(ReminderJobs(client))
    init_app(app, ctx, checks)
    if settings.serve_identity:  # the built-in identity provider, on the API's origin
        app.register_blueprint(create_blueprint(open_provider(settings)))
    app.register_blueprint(api)
    app.register_blueprint(chat_routes)
    app.register_blueprint(dead_letter_routes)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return send_file(OPENAPI, mimetype="application/json")

    return app


def _require(ok: bool) -> str:
    if not ok:
        raise ConnectionError("not healthy")
    return "ok"
