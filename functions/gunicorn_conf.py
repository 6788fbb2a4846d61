"""gunicorn settings for one app: `gunicorn -c python:functions.gunicorn_conf ...`.

Threads serve requests (each WebSocket holds one, so the hub wants many);
SIGTERM first lets the app say goodbye (the hub closes WebSockets with 1001),
then gunicorn shuts down gracefully.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from functions.shared.wiring import context

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
# The hub pushes what its sidecar delivers to its own connections: one process per
# pod (scale it with replicas, each with its own consumer group).
workers = (
    1 if os.environ.get("FUNCTION_TARGET") == "hub" else int(os.environ.get("WEB_CONCURRENCY", "1"))
)
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
worker_connections = threads + 64  # a WebSocket on every thread, and room for API calls
graceful_timeout = 20
accesslog = "-"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    ctx = context(worker.wsgi)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        ctx.goodbye()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)
    worker.todomesh_context = ctx


def worker_exit(server: Any, worker: Any) -> None:
    ctx = getattr(worker, "todomesh_context", None)
    if ctx is not None:
        ctx.stop()
