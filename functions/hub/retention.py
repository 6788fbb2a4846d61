"""The replay log's age limit, applied by a background loop (the count limit is kept on append)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from functions.hub import metrics
from functions.hub.replay import prune
from functions.shared.loop import Loop

log = logging.getLogger(__name__)


class RetentionWorker(Loop):
    def __init__(
        self, sessions: sessionmaker[Session], max_age_seconds: float, every_seconds: float = 60.0
    ) -> None:
        super().__init__("hub-retention")
        self.sessions = sessions
        self.max_age_seconds = max_age_seconds
        self.every_seconds = every_seconds

    def run_once(self) -> int:
        removed = prune(self.sessions, self.max_age_seconds)
        metrics.PRUNED.inc(removed)
        return removed

    def step(self) -> None:
        try:
            self.run_once()
        except Exception as exc:  # the loop must outlive a database outage
            log.warning("replay log pruning failed", extra={"error": str(exc)})
        self.pause(self.every_seconds)
