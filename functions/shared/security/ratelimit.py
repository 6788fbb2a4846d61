"""Per-caller write limits with flask-limiter: 429 problem+json with Retry-After.

Every POST, PUT, PATCH and DELETE of an app counts against one budget per caller:
the verified token's user id, or the client address for a request without a valid
token (which is refused anyway, but must not be free to repeat). Reads, views marked
`@reads_only` (a POST that changes nothing, such as a preview a page asks for at each
keystroke), and the routes only the Dapr sidecar may call, are not limited. Counters live in
TODOMESH_RATE_LIMIT_STORAGE: `memory://` counts per process; a shared store such
as `redis://host:6379` makes the limit hold across replicas (docs/security.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.storage import MemoryStorage

from functions.shared.identity.web import optional_caller
from functions.shared.problems import problem_response
from functions.shared.settings import Settings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIDECAR_PATHS = ("/events/", "/reminder-sweep", "/job/", "/dapr/")
READS_ONLY = "todomesh_reads_only"
View = TypeVar("View", bound=Callable[..., object])


def reads_only(view: View) -> View:
    """Mark a view that changes nothing although its method is a write's: it spends no
    write budget."""
    setattr(view, READS_ONLY, True)
    return view


def _marked_reads_only() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, READS_ONLY, False))


def parse_limits(value: str) -> str:
    """TODOMESH_RATE_LIMIT_WRITES, checked: limits such as `60/minute;600/hour`."""
    try:
        if not parse_many(value):
            raise ValueError("no limit")
    except ValueError as exc:
        raise ValueError(
            f"TODOMESH_RATE_LIMIT_WRITES={value!r} is not a list of limits such as "
            "'60/minute;600/hour'"
        ) from exc
    return value


class SweepingMemoryStorage(MemoryStorage):
    """`memory://`, sweeping expired counters once a second. limits' own sweeps 10 ms after a
    hit on a new thread, so under steady writes nearly every write started (and waited for)
    a thread: a fifth of a write's wall time. Expired counters are still ignored on read
    (`MemoryStorage.get`); the sweep only frees their memory."""

    STORAGE_SCHEME = ["todomesh-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.timer.cancel()  # the 10 ms one
        self._sweep_later()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (replaces the private one)
        if not self.timer.is_alive():
            self._sweep_later()

    def _sweep_later(self) -> None:
        self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
        self.timer.daemon = True
        self.timer.start()


def storage_uri(configured: str) -> str:
    """TODOMESH_RATE_LIMIT_STORAGE, with `memory://` served by `SweepingMemoryStorage`."""
    if configured.startswith("memory://"):
        return "todomesh-memory://" + configured.removeprefix("memory://")
    return configured


def caller_key() -> str:
    """Whose budget a request spends: the verified user, else the client address."""
    caller = optional_caller()
    if caller is not None:
        return f"user:{caller.user_id}"
    return f"addr:{request.remote_addr or 'unknown'}"


def install_write_limits(
    app: Flask, settings: Settings, exempt_paths: Sequence[str] = SIDECAR_PATHS
) -> Limiter:
    """Limit writes to `app` per caller as `settings` say; returns the Limiter."""
    prefixes = tuple(exempt_paths)

    def exempt() -> bool:
        if request.method not in WRITE_METHODS or request.path.startswith(prefixes):
            return True
        return _marked_reads_only()

    limiter = Limiter(
        key_func=caller_key,
        application_limits=[parse_limits(settings.rate_limit_writes)],
        application_limits_exempt_when=exempt,
        storage_uri=storage_uri(settings.rate_limit_storage),
        key_prefix="todomesh-writes",
        headers_enabled=True,
    )
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Response:
        limit = limiter.current_limit
        wait = max(1, math.ceil(limit.reset_at - time.time())) if limit else 60
        response = problem_response(
            429,
            "Too Many Requests",
            f"Too many writes: at most {exc.limit.limit}. Try again in {wait} s.",
        )
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter
