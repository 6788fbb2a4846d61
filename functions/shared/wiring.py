"""How every app is wired, services and functions alike.

`init_app` gives a Flask app its `AppContext` (kept under one key of
`app.extensions`), logging, health, metrics, problem+json errors, the replies
Dapr expects, and its front door: verified bearer tokens, per-caller write
limits, CORS and security headers. `context()` reads the context back; `provided(Type)` an
object the app added to it (the hub's connections, notify's sender). The
consumer functions are built by functions-framework and wired by
`install_function(app, module, settings)`, whole or, by `settings.role`, as the
half that consumes or the half that answers queries.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from flask import Blueprint, Flask, Response, current_app, g, request

from functions.shared import metrics
from functions.shared.context import AppContext
from functions.shared.db import ping
from functions.shared.deliveries import Entry, guard_deliveries
from functions.shared.health import Check, register_health
from functions.shared.identity.lazy import LazyVerifier
from functions.shared.identity.web import init_identity
from functions.shared.logs import bind_request
from functions.shared.problems import Problem, register_problem_handlers
from functions.shared.replies import register_replies
from functions.shared.security.cors import install_cors, parse_origins
from functions.shared.security.headers import install_security_headers
from functions.shared.security.nul import install_nul_guard
from functions.shared.security.ratelimit import install_write_limits
from functions.shared.settings import Settings

_KEY = "todomesh"
MAX_BODY_BYTES = 1 << 20  # a task or an event is a few KiB; refuse anything near a MiB
T = TypeVar("T")


def context(app: Flask | None = None) -> AppContext:
    """The context of `app` (default: the app handling this request)."""
    ctx: AppContext = (app or current_app).extensions[_KEY]
    return ctx


def provided(kind: type[T], app: Flask | None = None) -> T:
    """The `kind` object the app keeps in its context."""
    return context(app).get(kind)


def init_app(app: Flask, ctx: AppContext, checks: list[Check] | None = None) -> None:
    """Give an app its context, health, metrics, problem+json errors and Dapr replies,
    its callers' verification, write limits, CORS and security headers."""
    settings = ctx.settings  # logging is set up already, by `build_context`
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[_KEY] = ctx
    register_problem_handlers(app)
    register_health(app, [Check("database", lambda: ping(ctx.engine)), *(checks or [])])
    metrics.instrument(app, ctx.app_id)
    register_replies(app)
    init_identity(app, ctx.find(LazyVerifier) or LazyVerifier(settings))
    install_write_limits(app, settings)
    install_cors(app, parse_origins(settings.cors_origins))
    install_security_headers(app)
    install_nul_guard(app)

    @app.before_request
    def _bind_trace() -> None:
        g.reset_log_context = bind_request(ctx.app_id, request.headers.get("traceparent"))

    @app.teardown_request
    def _unbind_trace(_exc: BaseException | None) -> None:
        reset = g.pop("reset_log_context", None)
        if reset:
            reset()


class FunctionApp(Protocol):
    """What a consumer package offers: its context, its consumer side, its query API."""

    APP_ID: str
    QUERY_API: Blueprint | None

    def build(self, settings: Settings) -> AppContext: ...

    def init(self, app: Flask, ctx: AppContext) -> None: ...

    def handle_batch(self, entries: list[Entry]) -> Response: ...


def install_function(app: Flask, module: FunctionApp, settings: Settings) -> AppContext:
    """Wire a functions-framework app built for `module` with `settings`: its deliveries
    and workers unless it only answers queries, its query API unless it only consumes.
    Its function takes only CloudEvents on delivery routes (`functions.shared.deliveries`),
    one at a time, or a bulk delivery at once (`module.handle_batch`)."""
    ctx = module.build(settings)
    init_app(app, ctx)
    if not settings.serves_events:
        app.before_request(_no_deliveries)
        ctx.workers.clear()  # retention and retries are the consumer half's
    guard_deliveries(app, settings.app_api_token, module.handle_batch)
    if settings.serves_events:
        module.init(app, ctx)
    if settings.serves_queries and module.QUERY_API is not None:
        app.register_blueprint(module.QUERY_API)
    return ctx


def _no_deliveries() -> None:
    """functions-framework routes a POST on any path to the function (its `cloudevent`
    endpoint, whose view it sets after this module ran): refuse those here."""
    if request.endpoint == "cloudevent":
        raise Problem(404, "Not Found", "This instance answers queries; events go to its consumer.")
