"""The door events come in by: only the app's own sidecar, only on a delivery route, and
only with a CloudEvent.

functions-framework serves a CloudEvent function on `/` and on every other path, for
POST. Left so, a consumer function would take an event POSTed to its query API's paths
(`/api/notifications`, `/api/audit/...`), which the platform's origin routes to it:
anyone could put a reminder or an audit record in another user's name, and `OPTIONS`
would advertise POST everywhere. So the catch-all covers only `/events/<route>`, where
Dapr's subscriptions and Knative's triggers deliver (and `/` stays, functions-framework's
own convention); other paths answer as the app's own routes do (404, or 405 with their
methods). A body that is no CloudEvent is a 400 that names no header and echoes nothing
(functions-framework's own 400 repeats every header, the sidecar's token among them).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudevents.http import CloudEvent, from_http
from flask import Flask, Response, request
from werkzeug.routing import Map, Rule, RuleFactory

from functions.shared.problems import Problem

CLOUDEVENT_ENDPOINT = "cloudevent"  # functions-framework's endpoint for the function
CATCH_ALL = "/<path:path>"
DELIVERY_RULE = "/events/<path:path>"
BULK_TYPE = "com.dapr.event.sent.bulk"  # the `type` of Dapr's bulk delivery body


@dataclass(frozen=True)
class Entry:
    entry_id: str
    event: Any  # the CloudEvent as delivered: a JSON object when structured


BulkHandler = Callable[[list[Entry]], Response]


def require_sidecar(app_api_token: str | None) -> None:
    """401 unless the request carries `app_api_token` as `dapr-api-token` (when one is set)."""
    sent = request.headers.get("dapr-api-token", "").encode("utf-8", "surrogateescape")
    if app_api_token and not hmac.compare_digest(sent, app_api_token.encode()):
        raise Problem(401, "Unauthorized", "Only the Dapr sidecar may call this route.")


class DeliveryRoutes(Map):
    """A URL map in which functions-framework's catch-all for the function, added now or
    later, covers only the delivery routes."""

    def add(self, rulefactory: RuleFactory) -> None:
        for rule in rulefactory.get_rules(self):
            if rule.endpoint == CLOUDEVENT_ENDPOINT and rule.rule == CATCH_ALL:
                rule = Rule(DELIVERY_RULE, endpoint=rule.endpoint, methods=rule.methods)
            super().add(rule)


def guard_deliveries(
    app: Flask, app_api_token: str | None, bulk: BulkHandler | None = None
) -> None:
    """Route the function of a functions-framework app as above (whether functions-framework
    mounted it already or mounts it after this), hand a bulk delivery to `bulk`, and refuse
    what is no CloudEvent."""
    old = app.url_map
    app.url_map = DeliveryRoutes(
        [rule.empty() for rule in old.iter_rules()],
        strict_slashes=old.strict_slashes,
        merge_slashes=old.merge_slashes,
        host_matching=old.host_matching,
    )

    @app.before_request
    def _cloudevents_only() -> Response | None:
        if request.endpoint != CLOUDEVENT_ENDPOINT:
            return None
        require_sidecar(app_api_token)
        entries = bulk_entries()
        if entries is not None and bulk is not None:
            return bulk(entries)
        read_cloudevent()
        return None


def bulk_entries() -> list[Entry] | None:
    """The entries of this request when it is a bulk delivery, else None (one CloudEvent)."""
    if request.mimetype != "application/json":
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than a delivery ever is
        return None
    if not isinstance(body, dict) or body.get("type") != BULK_TYPE:
        return None
    entries = body.get("entries")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("entryId"), str) for e in entries
    ):
        raise Problem(400, "Not a bulk delivery", "entries must be objects with an entryId.")
    ids = [e["entryId"] for e in entries]
    if len(set(ids)) != len(ids):
        raise Problem(400, "Not a bulk delivery", "Each entryId must be unique in the batch.")
    return [Entry(e["entryId"], e.get("event")) for e in entries]


def read_cloudevent() -> CloudEvent:
    """The request's CloudEvent (structured or binary); a 400 problem for anything else."""
    try:
        return from_http(request.headers, request.get_data())
    except Exception as exc:  # the SDK raises several kinds; odd input, TypeError or RecursionError
        raise Problem(400, "Not a CloudEvent", _reason(exc)) from exc


def _reason(exc: Exception) -> str:
    """Why the body is no CloudEvent, in words that repeat nothing the caller sent."""
    name = exc.__class__.__name__
    if name in ("MissingRequiredFields", "InvalidRequiredFields"):
        return "The request is neither a structured nor a binary CloudEvent 1.0."
    return f"The CloudEvent cannot be read ({name})."
