"""An ASGI front for Flask apps: the WSGI app mounted through a2wsgi, plus native routes.

Why ASGI: the hub holds thousands of idle WebSockets, which an event loop
carries cheaply (a thread each would not), and the MCP endpoint is an ASGI app.
The Flask apps stay WSGI and run in a2wsgi's thread pool. An app adds what is
not WSGI by keeping `AsgiParts` in its context.

The lifespan starts the app's background work and stops it; a stop signal
first runs each app's `goodbye` (the hub closes its WebSockets with 1001), then
lets the server shut down.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from a2wsgi import WSGIMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from functions.shared import collector
from functions.shared.security.front_door import FrontDoor
from functions.shared.settings import Settings

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def threads_from_env() -> int:
    """The threads of the Flask side under gunicorn: `GUNICORN_THREADS`, else 16."""
    return Settings.from_env().threads


@dataclass
class AsgiParts:
    """What an app adds to its ASGI front: routes that are not WSGI, an async goodbye, and
    async contexts that must be open while it serves (the MCP session manager's)."""

    routes: list[BaseRoute] = field(default_factory=list)
    goodbye: Callable[[], Awaitable[Any]] | None = None
    lifespans: list[Callable[[], AbstractAsyncContextManager[Any]]] = field(default_factory=list)


class Everything(BaseRoute):
    """The WSGI app at `/` for every path the native routes leave, whatever it holds.

    Starlette's `Mount("/")` matches with `.*`, which stops at a line break: a path with
    a percent-encoded newline would get Starlette's plain-text 404 instead of the apps'
    problem+json.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL, {}) if scope["type"] in ("http", "websocket") else (Match.NONE, {})

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def front(
    wsgi_app: Any,
    parts: Iterable[AsgiParts],
    *,
    start: Callable[[], None],
    stop: Callable[[], None],
    threads: int = 16,
) -> Starlette:
    """`wsgi_app` at `/` behind the native routes of `parts`; `start`/`stop` run in the
    lifespan, off the loop."""
    parts = list(parts)
    routes = [route for part in parts for route in part.routes]
    routes.append(Everything(WSGIMiddleware(wsgi_app, workers=threads)))
    goodbyes = [part.goodbye for part in parts if part.goodbye is not None]

    async def goodbye() -> None:
        await asyncio.gather(*(hook() for hook in goodbyes), return_exceptions=True)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await asyncio.to_thread(start)
        collector.settle()
        _say_goodbye_on_stop_signals(goodbye)
        async with contextlib.AsyncExitStack() as stack:
            for part in parts:
                for opened in part.lifespans:
                    await stack.enter_async_context(opened())
            try:
                yield
            finally:
                await goodbye()
        await asyncio.to_thread(stop)

    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(FrontDoor)])


def _say_goodbye_on_stop_signals(goodbye: Callable[[], Awaitable[None]]) -> None:
    """Make every stop signal graceful: run `goodbye`, then the server's own SIGTERM
    handling. gunicorn's quick stop (SIGINT, SIGQUIT) would otherwise leave WebSockets
    unclosed and the background loops half-stopped. Only the main thread handles
    signals; a server run elsewhere, as in tests, keeps its own."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    server_exit = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError, RuntimeError):
        loop.remove_signal_handler(signal.SIGQUIT)  # uvicorn-worker's, which stops nothing
    pending: set[asyncio.Task[None]] = set()

    async def then_exit(frame: FrameType | None) -> None:
        await goodbye()
        if callable(server_exit):
            server_exit(signal.SIGTERM, frame)

    def handler(_sig: int, frame: FrameType | None) -> None:
        def schedule() -> None:
            task = loop.create_task(then_exit(frame))
            pending.add(task)
            task.add_done_callback(pending.discard)

        loop.call_soon_threadsafe(schedule)

    for signum in STOP_SIGNALS:
        signal.signal(signum, handler)
