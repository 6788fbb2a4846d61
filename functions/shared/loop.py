"""A background loop in a daemon thread: the relay, dispatchers, cron and retry workers."""

from __future__ import annotations

import threading


class Loop:
    """Calls `step()` until stopped. `wake()` cuts an `idle()` short; `pause()` only `stop()`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    @property
    def woken(self) -> bool:
        """Whether a `wake()` waits to cut the next `idle()` short."""
        return self._wake.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def idle(self, seconds: float) -> None:
        """Wait until woken, stopped, or `seconds` pass."""
        self._wake.wait(seconds)
        self._wake.clear()

    def pause(self, seconds: float) -> None:
        """Wait `seconds` unless stopped (a back-off that new work must not cut short)."""
        self._stop.wait(seconds)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step()
