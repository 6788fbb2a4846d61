"""Prometheus metrics shared by every app, labelled by app so one process can host them all."""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "todomesh_http_requests_total", "HTTP requests served", ["app", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "todomesh_http_request_duration_seconds", "HTTP request latency", ["app", "method", "route"]
)
EVENTS = Counter(
    "todomesh_events_total", "Events handled by a consumer", ["app", "type", "outcome"]
)
EVENT_LATENCY = Histogram(
    "todomesh_event_handling_seconds", "Time to handle one event", ["app", "type"]
)
EVENTS_DROPPED = Counter(
    "todomesh_events_dropped_total",
    "Events answered DROP (malformed or unknown major schema_version)",
    ["app", "reason"],
)
OUTBOX_PENDING = Gauge("todomesh_outbox_pending", "Events waiting in the outbox", ["app"])
OUTBOX_OLDEST = Gauge(
    "todomesh_outbox_oldest_age_seconds", "Age of the oldest unpublished event", ["app"]
)
OUTBOX_PUBLISHED = Counter(
    "todomesh_outbox_published_total", "Events published from the outbox", ["app", "topic"]
)
OUTBOX_FAILURES = Counter(
    "todomesh_outbox_publish_failures_total", "Failed outbox publish rounds", ["app"]
)


def instrument(app: Flask, app_id: str) -> None:
    """Count and time every request, and serve `GET /metrics`."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        if started is not None:
            HTTP_LATENCY.labels(app_id, request.method, route).observe(
                time.perf_counter() - started
            )
        HTTP_REQUESTS.labels(app_id, request.method, route, str(response.status_code)).inc()
        return response

    def _metrics() -> Response:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", _metrics, methods=["GET"])
