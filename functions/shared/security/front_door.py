"""The ASGI front's own checks, for every route it serves (Flask, WebSockets, MCP):
security headers on every response that lacks them, and 431 for oversized headers."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.shared.problems import PROBLEM_JSON, problem_body
from functions.shared.security.headers import security_headers

MAX_HEADER_BYTES = 16 * 1024  # a bearer token is ~1 KiB; nothing legitimate needs more
STARTS = ("http.response.start", "websocket.http.response.start")


class FrontDoor:
    def __init__(self, app: ASGIApp, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app, self.max_header_bytes = app, max_header_bytes
        self.headers = security_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if sum(len(k) + len(v) for k, v in scope["headers"]) > self.max_header_bytes:
            await self._too_large(scope, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] in STARTS:
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        detail = f"The request's headers exceed {self.max_header_bytes} bytes."
        body = problem_body(431, "Request Header Fields Too Large", detail, scope["path"]).encode()
        prefix = "websocket.http" if scope["type"] == "websocket" else "http"
        if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
            "extensions", {}
        ):
            await send({"type": "websocket.close", "code": 1008})
            return
        headers: list[Any] = [(b"content-type", PROBLEM_JSON.encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        await send({"type": f"{prefix}.response.start", "status": 431, "headers": headers})
        await send({"type": f"{prefix}.response.body", "body": body})
