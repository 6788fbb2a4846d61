"""A real OpenID key server on 127.0.0.1: a discovery document and a key set that rotates."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.tokens import KeyPair, key_set

REALM = "/realms/todomesh"


class KeyServer:
    """What the server serves (change it between requests) and how often it was asked."""

    def __init__(self, first: KeyPair) -> None:
        self.base = ""
        self.keys = [first]
        self.failing = False  # answer 500 to every request
        self.issuer_override: str | None = None
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def issuer(self) -> str:
        return self.base + REALM

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/protocol/openid-connect/certs"

    def rotate(self, new: KeyPair) -> None:
        """Serve `new` only, as a provider does once the old key is retired."""
        with self.lock:
            self.keys = [new]

    def fetches(self, path: str) -> int:
        with self.lock:
            return self.hits[path]

    def answer(self, path: str) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            self.hits[path] += 1
            if self.failing:
                return 500, None
            if path == REALM + "/.well-known/openid-configuration":
                issuer = self.issuer_override or self.issuer
                return 200, {"issuer": issuer, "jwks_uri": self.jwks_url}
            if self.base + path == self.jwks_url:
                return 200, key_set(*self.keys)
        return 404, None


@contextmanager
def key_server(first: KeyPair) -> Iterator[KeyServer]:
    server_state = KeyServer(first)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, body = server_state.answer(self.path)
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = False  # server_close() joins the handler threads
    server_state.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
