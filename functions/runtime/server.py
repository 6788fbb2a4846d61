"""Serve the embedded platform with gunicorn: one uvicorn worker, one origin, and the
consumer functions in a second process the worker supervises (`consumers.py`).

The platform is built in the worker (nothing is created before the fork) behind
the same ASGI front as each app in the other modes: WebSockets on the event
loop, the Flask apps in a thread pool. Its lifespan starts and stops it: Ctrl-C
or SIGTERM first closes WebSockets with 1001 (clients reconnect and resume),
then drains and stops the background loops.
"""

from __future__ import annotations

import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from functions.identity.cli import DEMO_TTL_SECONDS, DEMO_USER
from functions.identity.hosting import builtin_identity
from functions.identity.tokens import mint_token
from functions.runtime.platform import FRONT, WHOLE, Platform
from functions.serving import worker_class
from functions.shared.asgi import AsgiParts, front
from functions.shared.settings import Settings

GRACEFUL_TIMEOUT = 10


class PlatformServer(BaseApplication):
    def __init__(
        self, settings: Settings, host: str, port: int, threads: int, part: str = FRONT
    ) -> None:
        self.settings, self.host, self.port, self.threads = settings, host, port, threads
        self.part = part
        self.platform: Platform | None = None
        super().__init__()

    def load_config(self) -> None:
        config = {
            "bind": f"{self.host}:{self.port}",
            "workers": 1,
            "worker_class": worker_class(self.settings, GRACEFUL_TIMEOUT),
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "timeout": 0,
            "accesslog": None,
            "control_socket_disable": True,  # one per user home: concurrent servers would clash
            "when_ready": self._announce,
        }
        for key, value in config.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        platform = self.platform = Platform(self.settings, part=self.part)
        parts = [ctx.find(AsgiParts) for ctx in platform.contexts.values()]
        return front(
            platform.wsgi,
            [part for part in parts if part is not None],
            start=platform.start,
            stop=platform.stop,
            threads=self.threads,
        )

    def _announce(self, _server: Any) -> None:
        url = f"http://{self.host}:{self.port}"
        lines = [f"todomesh is serving {url}", f"  data:  {self.settings.data_dir.resolve()}"]
        if builtin_identity(self.settings):
            token = mint_token(self.settings.data_dir, DEMO_USER, ttl=DEMO_TTL_SECONDS)
            lines += [
                f"  page:  {url}/ (sign in with any name: the development identity provider)",
                f"  API:   {url}/api/tasks with a bearer token; one for {DEMO_USER}, valid "
                f"{DEMO_TTL_SECONDS // 3600} h (`todomesh token <user>` mints others):",
                f"export TOKEN={token}",
            ]
        print("\n".join([*lines, "Press Ctrl-C to stop."]), file=sys.stderr, flush=True)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 64,
    one_process: bool = False,
) -> None:
    """Serve until stopped: the consumer functions in a second process (see
    `consumers.py`), or with `one_process` every app in this one."""
    PlatformServer(settings, host, port, threads, WHOLE if one_process else FRONT).run()
