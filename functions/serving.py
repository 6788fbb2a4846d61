"""How every todomesh process is served: gunicorn managing uvicorn workers.

gunicorn manages the process (signals, graceful stop, worker restarts); each
worker is uvicorn serving an ASGI front (`functions.shared.asgi`), with the
WebSocket keep-alive pings of the hub's settings.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker

from functions.shared.settings import Settings


def uvicorn_options(settings: Settings, graceful_timeout: float) -> dict[str, Any]:
    return {
        "lifespan": "on",
        "ws": "websockets-sansio",  # keep-alive pings on timers: no task per connection
        "ws_ping_interval": settings.hub_ping_seconds,
        "ws_ping_timeout": settings.hub_ping_seconds,
        "ws_max_size": 64 * 1024,  # clients have little to say
        "timeout_graceful_shutdown": max(1.0, graceful_timeout - 2),
    }


def worker_class(settings: Settings, graceful_timeout: float) -> type[UvicornWorker]:
    """A uvicorn worker class for gunicorn's `worker_class`, configured for `settings`."""
    options = {**UvicornWorker.CONFIG_KWARGS, **uvicorn_options(settings, graceful_timeout)}
    return type("TodomeshWorker", (UvicornWorker,), {"CONFIG_KWARGS": options})
