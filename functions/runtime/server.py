"""Serve the embedded platform with gunicorn: one worker process, many threads.

Every WebSocket holds a thread, so the thread count bounds the open
connections. The platform is built in the worker (nothing is created before
the fork) and stopped there: Ctrl-C or SIGTERM first closes WebSockets with
1001 (clients reconnect and resume), then drains and stops the background loops.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from functions.runtime.platform import Platform
from functions.shared.settings import Settings


class PlatformServer(BaseApplication):
    def __init__(self, settings: Settings, host: str, port: int, threads: int) -> None:
        self.settings, self.host, self.port, self.threads = settings, host, port, threads
        self.platform: Platform | None = None
        super().__init__()

    def load_config(self) -> None:
        config = {
            "bind": f"{self.host}:{self.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": self.threads,
            # gthread accepts at most worker_connections at once (default 1000): room for
            # a WebSocket on every thread plus the API calls that come and go.
            "worker_connections": self.threads + 64,
            "graceful_timeout": 10,
            "timeout": 0,
            "accesslog": None,
            "control_socket_disable": True,  # one per user home: concurrent servers would clash
            "post_worker_init": self._started,
            "worker_exit": self._stopping,
            "when_ready": self._announce,
        }
        for key, value in config.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        self.platform = Platform(self.settings)
        return self.platform.wsgi

    def _announce(self, _server: Any) -> None:
        print(
            f"todomesh is serving http://{self.host}:{self.port}\n"
            f"  data:  {self.settings.data_dir.resolve()}\n"
            f"  API:   http://{self.host}:{self.port}/api/tasks (header X-User-Id)\n"
            f"  page:  http://{self.host}:{self.port}/?user=<your name>\n"
            "Press Ctrl-C to stop.",
            file=sys.stderr,
            flush=True,
        )

    def _started(self, worker: Any) -> None:
        assert self.platform is not None
        self.platform.start()
        platform = self.platform

        def graceful(_signum: int, _frame: Any) -> None:
            # Every stop signal is graceful here: WebSockets get 1001 and the worker's
            # loop ends on its own (gunicorn's quick quit raises SystemExit wherever
            # the main thread happens to be, which can leave the platform half-stopped).
            platform.goodbye()
            worker.alive = False

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(signum, graceful)

    def _stopping(self, _server: Any, _worker: Any) -> None:
        if self.platform is not None:
            self.platform.stop()


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8000, threads: int = 256
) -> None:
    PlatformServer(settings, host, port, threads).run()
