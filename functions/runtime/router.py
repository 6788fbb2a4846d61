"""The embedded platform's single origin: one WSGI app in front of all the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST

from functions.identity.blueprint import PATHS
from functions.shared.problems import PROBLEM_JSON, problem_body

if TYPE_CHECKING:
    from functions.runtime.platform import Platform

# Longest prefix first; everything else (the web page, its assets) is the hub's.
PREFIXES = (
    ("/api/tasks", "todo"),
    ("/api/chat", "todo"),
    ("/api/parse", "todo"),
    ("/api/settings", "todo"),
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
IDENTITY_PATHS = PATHS  # the built-in identity provider, when the platform hosts it
READS = ("GET", "HEAD")


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
        if path in ("/health", "/ready", "/metrics") and environ["REQUEST_METHOD"] not in READS:
            body = problem_body(405, "Method Not Allowed", None, path)
            return _reply(start_response, 405, body, [("Allow", ", ".join(READS))])
        if path == "/health":
            return _reply(start_response, 200, json.dumps({"status": "ok"}))
        if path == "/ready":
            ok, report = self.platform.ready()
            if ok:
                return _reply(start_response, 200, json.dumps({"status": "ready", "apps": report}))
            down = ", ".join(
                app for app, answer in report.items() if answer.get("status") != "ready"
            )
            body = problem_body(503, "Not Ready", f"Not ready: {down}", path, apps=report)
            return _reply(start_response, 503, body)
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [self.platform.metrics()]
        if path.startswith(SIDECAR_ONLY):
            return _reply(start_response, 404, problem_body(404, "Not Found", None, path))
        if path.startswith(IDENTITY_PATHS) and self.platform.identity is not None:
            return self.platform.identity(environ, start_response)
        app = self.platform.apps.get(self.app_for(path))
        if app is None:
            return _reply(start_response, 404, problem_body(404, "Not Found", None, path))
        return app(environ, start_response)


def _reply(
    start_response: StartResponse,
    status: int,
    body: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    """`body` (JSON text) as JSON, or as problem+json for an error."""
    data = body.encode()
    mimetype = "application/json" if status == 200 else PROBLEM_JSON
    headers = [("Content-Type", mimetype), ("Content-Length", str(len(data))), *(headers or [])]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [data]
