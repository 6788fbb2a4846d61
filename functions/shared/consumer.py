"""CloudEvent consumers: parse, dedupe, run the handler in one transaction, answer Dapr.

A handler gets the parsed `Event` and a `UnitOfWork`; what it writes and emits
commits together with the `(consumer, event_id)` record, so a redelivery is
acknowledged and changes nothing.

Replies follow Dapr's contract and stay meaningful for Knative Eventing:
- success: 200 `{"status": "SUCCESS"}`;
- poison (malformed, unknown major version): `{"status": "DROP"}` with 200 when
  Dapr delivered it (it goes to the dead-letter topic), else 422 problem+json
  (Knative does not retry a 4xx and sends it to the dead-letter sink);
- transient failure (e.g. database down): 503 `{"status": "RETRY"}`, retried by both.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Collection
from typing import Protocol

from cloudevents.exceptions import GenericException as CloudEventError
from cloudevents.http import CloudEvent, from_http
from flask import Flask, Response, current_app, g, jsonify, request

from functions.shared import metrics
from functions.shared.context import AppContext, UnitOfWork
from functions.shared.db import is_unavailable, ping
from functions.shared.events import Event, EventType, PoisonEvent, UnsupportedVersion, parse_data
from functions.shared.health import Check, register_health
from functions.shared.idempotency import claim
from functions.shared.logs import bind_request, configure_logging, log_context
from functions.shared.problems import Problem, problem_response, register_problem_handlers
from functions.shared.settings import Settings, current_settings

log = logging.getLogger(__name__)
EXTENSION = "todomesh"
MAX_BODY_BYTES = 1 << 20  # a task or an event is a few KiB; refuse anything near a MiB
KNOWN_TYPES = frozenset(EventType)

Handler = Callable[[Event, UnitOfWork, AppContext], None]


class DropEvent(Exception):
    """Never processable: answer DROP."""


class RetryEvent(Exception):
    """Not processable now: answer RETRY."""


def context() -> AppContext:
    return current_app.extensions[EXTENSION]


def consume(
    cloud_event: CloudEvent,
    handler: Handler,
    *,
    accept: Collection[str] | None = None,
    consumer: str | None = None,
) -> None:
    """Handle one delivery of `cloud_event` once per (consumer, event id).

    Event types outside `accept` are acknowledged untouched.
    """
    ctx = context()
    require_dapr()
    consumer = consumer or ctx.app_id
    g.delivered_by_dapr = cloud_event.get("pubsubname") is not None
    event_type = "unknown"  # until parsed: a sender must not mint metric series
    with log_context(
        event_id=cloud_event.get("id"),
        task_id=cloud_event.get("subject"),
        traceparent=cloud_event.get("traceparent"),
    ):
        event = _parse(ctx, cloud_event)
        event_type = event.event_type if event.event_type in KNOWN_TYPES else "other"
        if accept is not None and event.event_type not in accept:
            metrics.EVENTS.labels(ctx.app_id, event_type, "ignored").inc()
            return
        started = time.perf_counter()
        outcome = _run(ctx, consumer, event, handler)
        metrics.EVENTS.labels(ctx.app_id, event_type, outcome).inc()
        metrics.EVENT_LATENCY.labels(ctx.app_id, event_type).observe(time.perf_counter() - started)
        log.info("event %s", outcome, extra={"event_type": event.event_type})


def require_dapr() -> None:
    """401 unless the caller is our sidecar (when an app API token is configured)."""
    token = context().settings.app_api_token
    if token and not hmac.compare_digest(request.headers.get("dapr-api-token", ""), token):
        raise Problem(401, "Unauthorized", "Only the Dapr sidecar may call this route.")


def delivered_event() -> CloudEvent:
    """The CloudEvent a sidecar POSTed to a plain Flask route (structured or binary)."""
    require_dapr()
    try:
        return from_http(request.headers, request.get_data())
    except CloudEventError as exc:
        raise Problem(400, "Not a CloudEvent", str(exc)) from exc


def _parse(ctx: AppContext, cloud_event: CloudEvent) -> Event:
    try:
        return parse_data(cloud_event.get_data())
    except PoisonEvent as exc:
        reason = "unsupported_version" if isinstance(exc, UnsupportedVersion) else "malformed"
        metrics.EVENTS_DROPPED.labels(ctx.app_id, reason).inc()
        log.warning("event dropped: %s", exc, extra={"reason": reason})
        raise DropEvent(str(exc)) from exc


def _run(ctx: AppContext, consumer: str, event: Event, handler: Handler) -> str:
    assert ctx.processed is not None, f"{ctx.app_id} has no processed_events table"
    try:
        with ctx.unit_of_work() as uow:
            if not claim(uow.session, ctx.processed, consumer, event.event_id):
                return "duplicate"
            handler(event, uow, ctx)
    except PoisonEvent as exc:
        metrics.EVENTS_DROPPED.labels(ctx.app_id, "malformed").inc()
        log.warning("event dropped: %s", exc, extra={"reason": "malformed"})
        raise DropEvent(str(exc)) from exc
    except Exception as exc:
        if is_unavailable(exc):
            log.warning("database unavailable; asking for redelivery", extra={"error": str(exc)})
        else:
            log.exception("event handler failed; asking for redelivery")
        raise RetryEvent(str(exc)) from exc
    return "processed"


def init_app(app: Flask, ctx: AppContext, checks: list[Check] | None = None) -> None:
    """Give an app its context, health, metrics, problem+json errors and Dapr replies."""
    configure_logging(ctx.settings.log_level)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions[EXTENSION] = ctx
    register_problem_handlers(app)
    register_health(app, [Check("database", lambda: ping(ctx.engine)), *(checks or [])])
    metrics.instrument(app, ctx.app_id)

    @app.before_request
    def _bind_trace() -> None:
        g.reset_log_context = bind_request(ctx.app_id, request.headers.get("traceparent"))

    @app.teardown_request
    def _unbind_trace(_exc: BaseException | None) -> None:
        reset = g.pop("reset_log_context", None)
        if reset:
            reset()

    @app.get("/dapr/subscribe")
    def _no_programmatic_subscriptions() -> Response:
        # Subscriptions are declarative (dapr/subscriptions/); say so to daprd.
        return jsonify([])

    @app.errorhandler(DropEvent)
    def _drop(exc: DropEvent) -> Response:
        if g.get("delivered_by_dapr"):
            return jsonify(status="DROP", reason=str(exc))
        return problem_response(422, "Unprocessable event", str(exc))

    @app.errorhandler(RetryEvent)
    def _retry(exc: RetryEvent) -> tuple[Response, int]:
        # The cause is in the log; the reply carries no SQL, ids or titles.
        return jsonify(status="RETRY", reason=exc.__cause__.__class__.__name__), 503

    @app.after_request
    def _success_as_json(response: Response) -> Response:
        if request.method == "POST" and response.status_code == 200 and response.data == b"OK":
            response = jsonify(status="SUCCESS")
        return response


class FunctionApp(Protocol):
    """What a consumer package offers `functions/main.py`."""

    APP_ID: str

    def build(self, settings: Settings) -> AppContext: ...

    def init(self, app: Flask, ctx: AppContext) -> None: ...


def install_function(app: Flask, module: FunctionApp) -> AppContext:
    """Wire a functions-framework app built for `module` (called from `functions/main.py`)."""
    ctx = module.build(current_settings())
    init_app(app, ctx)
    module.init(app, ctx)
    return ctx
