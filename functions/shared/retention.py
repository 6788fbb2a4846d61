"""Bounded tables: a loop that forgets what is past retention, and the app tables' rule.

A published outbox row is history once it is on its topic. A `(consumer,
event_id)` record only has to outlive every redelivery of that event, which
Kafka can make until the topic's retention (7 days for task-events) ends; the
default keeps both for 14 days.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from functions.shared.events import utcnow
from functions.shared.loop import Loop

if TYPE_CHECKING:
    from functions.shared.context import AppContext

log = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600.0


class Pruner(Loop):
    """Calls `prune()` (which returns how many rows went) every `every_seconds`."""

    def __init__(
        self, name: str, prune: Callable[[], int], every_seconds: float = PRUNE_EVERY_SECONDS
    ) -> None:
        super().__init__(name)
        self.prune = prune
        self.every_seconds = every_seconds

    def step(self) -> None:
        try:
            removed = self.prune()
            if removed:
                log.info("pruned old rows", extra={"loop": self.name, "rows": removed})
        except Exception as exc:  # the loop must outlive a database outage
            log.warning("pruning failed", extra={"loop": self.name, "error": str(exc)})
        self.pause(self.every_seconds)


def prune_app_tables(ctx: AppContext, retention_days: float) -> int:
    """Delete published outbox rows and dedupe records older than `retention_days`."""
    cutoff = utcnow() - timedelta(days=retention_days)
    removed = 0
    outbox, processed = ctx.outbox, ctx.processed
    with ctx.sessions.begin() as session:
        if outbox is not None:
            removed += session.execute(delete(outbox).where(outbox.published_at < cutoff)).rowcount
        if processed is not None:
            removed += session.execute(
                delete(processed).where(processed.processed_at < cutoff)
            ).rowcount
    return removed
