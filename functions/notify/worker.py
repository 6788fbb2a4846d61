"""The background loop that retries email and webhook notifications when they fall due."""

from __future__ import annotations

import logging

from functions.notify.delivery import NotificationDelivery
from functions.shared.loop import Loop

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0


class RetryWorker(Loop):
    """Runs `NotificationDelivery.deliver()` every `poll_seconds`; survives any outage."""

    def __init__(self, delivery: NotificationDelivery, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__("notify-retries")
        self.delivery, self.poll_seconds = delivery, poll_seconds

    def run_once(self) -> int:
        try:
            return self.delivery.deliver()
        except Exception as exc:  # the database may be down: try again next round
            log.warning("notification retry round failed", extra={"error": str(exc)})
            return 0

    def step(self) -> None:
        self.run_once()
        self.pause(self.poll_seconds)
