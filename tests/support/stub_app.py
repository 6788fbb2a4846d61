"""A tiny HTTP app that records what a sidecar sends it and acknowledges everything.

Use it as a context manager: its server thread is joined on the way out."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from tests.support.waiting import wait_for


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _success(body: bytes) -> dict[str, Any]:
    """Dapr's acknowledgement of a delivery: of each entry when it is a bulk one."""
    try:
        entries = json.loads(body).get("entries") if body else None
    except (ValueError, AttributeError):
        entries = None
    if not isinstance(entries, list):
        return {"status": "SUCCESS"}
    return {"statuses": [{"entryId": e.get("entryId"), "status": "SUCCESS"} for e in entries]}


class StubApp:
    """POSTs get 200 `{"status": "SUCCESS"}` (Dapr's ack), or for a bulk delivery SUCCESS
    for each entry; GETs get 404."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = False  # server_close() joins the handler threads
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.split("?")[0] == path]

    def wait_for(self, path: str, timeout: float = 30.0) -> Received:
        """The first request to `path`; raises naming the paths requested meanwhile."""

        def paths() -> list[str]:
            with self._lock:
                return sorted({r.path for r in self.received})

        wait_for(
            paths, f"a request to {path}", until=lambda _: self.requests_to(path), timeout=timeout
        )
        return self.requests_to(path)[0]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                app._record(Received("POST", self.path, dict(self.headers), body))
                reply = json.dumps(_success(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
