"""The replay log's age limit, applied by a background loop (the count limit is kept on append)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from functions.hub import metrics
from functions.hub.replay import prune

log = logging.getLogger(__name__)


class RetentionWorker:
    def __init__(
        self, sessions: sessionmaker[Session], max_age_seconds: float, every_seconds: float = 60.0
    ) -> None:
        self.sessions = sessions
        self.max_age_seconds = max_age_seconds
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hub-retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def run_once(self) -> int:
        removed = prune(self.sessions, self.max_age_seconds)
        metrics.PRUNED.inc(removed)
        return removed

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # the loop must outlive a database outage
                log.warning("replay log pruning failed", extra={"error": str(exc)})
            self._stop.wait(self.every_seconds)
