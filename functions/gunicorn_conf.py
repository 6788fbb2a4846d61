"""gunicorn settings for one app: `gunicorn -c python:functions.gunicorn_conf`.

`FUNCTION_TARGET` picks the app (`functions.asgi`); `PORT` the port;
`GUNICORN_THREADS` the threads that run its Flask side. A stop signal first
lets the app say goodbye (the hub closes its WebSockets with 1001), then the
worker stops gracefully (see `functions.serving`).
"""

from __future__ import annotations

import os

from functions.serving import worker_class as todomesh_worker
from functions.shared.settings import Settings

wsgi_app = "functions.asgi:create_app()"
bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
# The hub pushes what its sidecar delivers to its own connections: one process per
# pod (scale it with replicas, each with its own consumer group).
workers = (
    1 if os.environ.get("FUNCTION_TARGET") == "hub" else int(os.environ.get("WEB_CONCURRENCY", "1"))
)
graceful_timeout = 20
accesslog = "-"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
control_socket_disable = True
worker_class = todomesh_worker(Settings.from_env(), graceful_timeout)
