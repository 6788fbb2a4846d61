"""The one way tests wait: poll an observable state until it holds, or fail saying what.

`wait_for(probe, what, until=...)` calls `probe()` until `until(value)` holds and returns
that value. On timeout it raises `WaitTimeout` (an AssertionError, so pytest shows it as a
failed expectation) naming what it waited for, how long, and the last value seen. When
the state belongs to a child process, pass `process=` (anything with `alive` and
`log_tail()`): a dead process ends the wait at once, with its log tail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")
MAX_SHOWN = 2000  # characters of the last value a failure message shows


class Watched(Protocol):
    @property
    def alive(self) -> bool: ...

    def log_tail(self) -> str: ...


class WaitTimeout(AssertionError):
    """The state waited for did not come in time (or its process died)."""


def wait_for(
    probe: Callable[[], T],
    what: str,
    *,
    until: Callable[[T], object] = bool,
    timeout: float = 15.0,
    interval: float = 0.05,
    process: Watched | None = None,
) -> T:
    """Call `probe` every `interval` seconds until `until(value)` is true; return that value.

    `until` is called once per value, in order, so it may compare with the previous one.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if until(value):
            return value
        if process is not None and not process.alive:
            raise WaitTimeout(
                f"{what}: the process exited; last seen: {_shown(value)}\n{process.log_tail()}"
            )
        if time.monotonic() > deadline:
            tail = f"\n{process.log_tail()}" if process is not None else ""
            raise WaitTimeout(
                f"{what}: not reached after {timeout:g} s; last seen: {_shown(value)}{tail}"
            )
        time.sleep(interval)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."
