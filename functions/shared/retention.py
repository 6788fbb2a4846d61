"""Bounded tables: forget published outbox rows and old dedupe records.

A published outbox row is history once it is on its topic. A `(consumer,
event_id)` record only has to outlive every redelivery of that event, which
Kafka can make until the topic's retention (7 days for task-events) ends; the
default keeps both for 14 days.
"""

from __future__ import annotations

import logging
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
    def __init__(self, ctx: AppContext, retention_days: float) -> None:
        super().__init__(f"prune-{ctx.app_id}")
        self.ctx = ctx
        self.max_age = timedelta(days=retention_days)

    def prune(self) -> int:
        """Delete what is past retention; return how many rows went."""
        cutoff = utcnow() - self.max_age
        removed = 0
        outbox, processed = self.ctx.outbox, self.ctx.processed
        with self.ctx.sessions.begin() as session:
            if outbox is not None:
                removed += session.execute(
                    delete(outbox).where(outbox.published_at < cutoff)
                ).rowcount
            if processed is not None:
                removed += session.execute(
                    delete(processed).where(processed.processed_at < cutoff)
                ).rowcount
        return removed

    def step(self) -> None:
        try:
            removed = self.prune()
            if removed:
                log.info("pruned old rows", extra={"rows": removed})
        except Exception as exc:  # the loop must outlive a database outage
            log.warning("pruning failed", extra={"error": str(exc)})
        self.pause(PRUNE_EVERY_SECONDS)
