"""An ASGI app served by uvicorn on 127.0.0.1 in a thread, as production serves it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from functions.serving import uvicorn_options
from functions.shared.settings import Settings


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
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield Served(server, listener.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()
