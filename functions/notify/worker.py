"""The background loop that retries email and webhook notifications when they fall due."""

from __future__ import annotations

import logging
import threading

from functions.notify.delivery import Delivery

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0


class RetryWorker:
    """Runs `Delivery.deliver()` every `poll_seconds` until stopped; survives any outage."""

    def __init__(self, delivery: Delivery, poll_seconds: float = POLL_SECONDS) -> None:
        self.delivery, self.poll_seconds = delivery, poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="notify-retries", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> int:
        try:
            return self.delivery.deliver()
        except Exception as exc:  # the database may be down: try again next round
            log.warning("notification retry round failed", extra={"error": str(exc)})
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.poll_seconds)
