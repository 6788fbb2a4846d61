"""What a test opens, closed by its fixture: WebSocket clients, sockets, threads, anything
with `close()`. The `track` fixture (tests/conftest.py) hands out one `Tracker` per test.

`close()` shuts every client and socket first (which ends a thread blocked reading one),
then joins every thread, then closes the rest, newest first. A thread still running
after `JOIN_SECONDS` fails the test that started it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import websocket

JOIN_SECONDS = 10.0


class Closeable(Protocol):
    def close(self) -> Any: ...


C = TypeVar("C", bound=Closeable)


class Tracker:
    def __init__(self) -> None:
        self.clients: list[websocket.WebSocket] = []
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.others: list[Closeable] = []
        self.errors: list[BaseException] = []

    def websocket(self, url: str, **options: Any) -> websocket.WebSocket:
        """A WebSocket client connected to `url` (websocket-client's `create_connection`)."""
        ws = websocket.WebSocket(**_constructor_options(options))
        ws.settimeout(options.pop("timeout", 20))
        self.clients.append(ws)  # before connecting: a refused upgrade is closed too
        ws.connect(url, **options)
        return ws

    def hub(
        self, base_url: str, user: str, token: str, **query: Any
    ) -> tuple[websocket.WebSocket, list[dict[str, Any]]]:
        """A subscribed client of `user`'s stream on the hub at the HTTP `base_url`, showing
        `token` as its subprotocol: the client, and the messages up to `ready`, inclusive."""
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        url = f"{base_url.replace('http', 'ws', 1)}/ws/{user}{suffix}"
        ws = self.websocket(url, subprotocols=["bearer", token])
        messages = [json.loads(ws.recv())]
        while messages[-1]["type"] != "ready":
            messages.append(json.loads(ws.recv()))
        return ws, messages

    def socket(self, address: tuple[str, int]) -> socket.socket:
        """A plain TCP connection to `address`."""
        raw = socket.create_connection(address, timeout=10)
        self.sockets.append(raw)
        return raw

    def thread(self, target: Callable[..., Any], *args: Any) -> threading.Thread:
        """Run `target(*args)` on a started thread; what it raises fails the test."""

        def run() -> None:
            try:
                target(*args)
            except BaseException as error:  # reported by close()
                self.errors.append(error)

        thread = threading.Thread(target=run, name=f"test-{getattr(target, '__name__', '')}")
        self.threads.append(thread)
        thread.start()
        return thread

    def join(self, timeout: float = JOIN_SECONDS) -> None:
        """Wait for every thread started so far; raise what one of them raised."""
        for thread in self.threads:
            thread.join(timeout)
        running = [t.name for t in self.threads if t.is_alive()]
        assert not running, f"threads still running after {timeout:g} s: {running}"
        if self.errors:
            raise self.errors[0]

    def own(self, resource: C) -> C:
        """Close `resource` (a session, a reader, a server...) with the rest."""
        self.others.append(resource)
        return resource

    def close(self) -> None:
        """Close everything; idempotent. Raises when a thread outlived its clients."""
        clients, self.clients = self.clients, []
        for ws in clients:
            _close_client(ws)
        sockets, self.sockets = self.sockets, []
        for raw in sockets:
            raw.close()
        try:
            self.join()
        finally:
            self.threads, self.errors = [], []
            others, self.others = self.others, []
            for resource in reversed(others):
                resource.close()


def _constructor_options(options: dict[str, Any]) -> dict[str, Any]:
    """The constructor's share of `create_connection`'s options, taken out of `options`."""
    names = ("sockopt", "sslopt", "fire_cont_frame", "enable_multithread", "skip_utf8_validation")
    return {name: options.pop(name) for name in names if name in options}


def _close_client(ws: websocket.WebSocket) -> None:
    try:
        if ws.connected:
            ws.close(timeout=1)
    except (websocket.WebSocketException, OSError):
        pass
    finally:
        ws.shutdown()
