"""An ASGI app served by uvicorn on 127.0.0.1 in a thread, as production serves it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from functions.serving import uvicorn_options
from functions.shared.settings import Settings
from tests.support.waiting import wait_for


class Served:
    def __init__(self, server: uvicorn.Server, port: int) -> None:
        self.server, self.port = server, port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serve_asgi(app: Any, settings: Settings | None = None) -> Iterator[Served]:
    """Serve `app` (its lifespan included) until the block ends; uvicorn's options are
    the ones every todomesh process uses."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    options = uvicorn_options(settings or Settings(), graceful_timeout=7)
    config = uvicorn.Config(app, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        wait_for(
            lambda: (server.started, thread.is_alive()),
            "uvicorn started",
            until=lambda state: state[0] or not state[1],
            timeout=30,
            interval=0.01,
        )
        assert server.started, "uvicorn stopped before it started"
        yield Served(server, listener.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()
