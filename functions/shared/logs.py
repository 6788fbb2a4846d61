"""Structured JSON logs carrying `task_id`, `event_id` and `traceparent`.

The three ids live in context variables, so a handler binds them once
(`with log_context(task_id=...)`) and every line logged below it carries them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import re
import sys
from collections.abc import Callable, Iterable, Iterator

from pythonjsonlogger.json import JsonFormatter

from functions.shared.redaction import install_redaction

CONTEXT_FIELDS = ("app", "task_id", "event_id", "traceparent")
_TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_context: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(name, default=None) for name in CONTEXT_FIELDS
}


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _context.items():
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


@contextlib.contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Bind ids (task_id, event_id, traceparent, app) to every log line in this block."""
    tokens = [(_context[k], _context[k].set(v)) for k, v in values.items() if v is not None]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current(name: str) -> str | None:
    """The value bound to `name` (one of CONTEXT_FIELDS) in this context, if any."""
    return _context[name].get()


def new_traceparent() -> str:
    """A fresh W3C trace context header: version 00, random trace and span ids, sampled.

    The ids come from `random`, not `secrets`: Trace Context asks for unique ids, not
    unpredictable ones, and os.urandom on every request and delivery was about a tenth
    of the embedded mode's profile under write load. `random` reseeds in a forked child,
    so gunicorn workers do not repeat each other's ids. An all-zero id is invalid, hence
    the `or 1`.
    """
    trace_id = random.getrandbits(128) or 1
    span_id = random.getrandbits(64) or 1
    return f"00-{trace_id:032x}-{span_id:016x}-01"


def bind_request(app_id: str, traceparent: str | None) -> Callable[[], None]:
    """Bind the app and the request's trace context (or a new one) until `reset()`."""
    if not traceparent or not _TRACEPARENT.match(traceparent):
        traceparent = new_traceparent()
    tokens = [
        (_context["app"], _context["app"].set(app_id)),
        (_context["traceparent"], _context["traceparent"].set(traceparent)),
    ]

    def reset() -> None:
        for var, token in reversed(tokens):
            var.reset(token)

    return reset


def configure_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    """Send JSON lines to stderr, with tokens and `secrets` redacted from every record.
    Idempotent: safe to call from every app factory."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for existing in root.handlers:
        if getattr(existing, "_todomesh", False):
            install_redaction(existing, secrets)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler._todomesh = True  # type: ignore[attr-defined]
    handler.addFilter(_ContextFilter())
    install_redaction(handler, secrets)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root.addHandler(handler)
