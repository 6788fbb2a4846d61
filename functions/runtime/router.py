"""The embedded platform's single origin: one WSGI app in front of all the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from functions.runtime.platform import Platform

# Longest prefix first; everything else (the web page, its assets) is the hub's.
PREFIXES = (
    ("/api/tasks", "todo"),
    ("/api/admin", "todo"),
    ("/openapi.json", "todo"),
    ("/api/audit", "audit"),
    ("/api/notifications", "notify"),
    ("/ws/", "hub"),
)
FALLBACK = "hub"
# Only the runtime calls these, in-process; from outside they do not exist.
SIDECAR_ONLY = ("/events/", "/reminder-sweep", "/job/")
StartResponse = Callable[..., Any]


class Router:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def app_for(self, path: str) -> str:
        for prefix, app_id in PREFIXES:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return app_id
        return FALLBACK

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/health":
            return _reply(start_response, 200, {"status": "ok"})
        if path == "/ready":
            ok, report = self.platform.ready()
            body = {"status": "ready" if ok else "not ready", "apps": report}
            return _reply(start_response, 200 if ok else 503, body)
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest()]
        if path.startswith(SIDECAR_ONLY):
            return _reply(start_response, 404, {"title": "Not Found", "status": 404})
        app = self.platform.apps.get(self.app_for(path))
        if app is None:
            return _reply(start_response, 404, {"title": "Not Found", "status": 404})
        return app(environ, start_response)


def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    mimetype = "application/json" if status == 200 else "application/problem+json"
    start_response(
        f"{status} {reason}", [("Content-Type", mimetype), ("Content-Length", str(len(data)))]
    )
    return [data]
