"""Fires cron input bindings the way daprd does: `POST /<binding-name>` with `{}`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from croniter import croniter

from functions.runtime.dispatcher import Transport
from functions.runtime.resources import CronBinding, every
from functions.shared.events import utcnow
from functions.shared.loop import Loop

log = logging.getLogger(__name__)
MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def next_fire(schedule: str, after: datetime) -> datetime:
    """The next time `schedule` fires after `after` (`@every`, macros, 5 or 6 fields)."""
    period = every(schedule)
    if period is not None:
        return after + period
    fields = schedule.split()
    if schedule not in MACROS and len(fields) not in (5, 6):
        raise ValueError(f"unsupported cron schedule {schedule!r}")
    # Dapr's cron (robfig/cron) puts seconds first in a 6-field spec; croniter puts them last.
    spec = " ".join(fields[1:] + fields[:1]) if len(fields) == 6 else schedule
    return croniter(spec, after, second_at_beginning=False).get_next(datetime)


class CronRunner(Loop):
    def __init__(self, binding: CronBinding, transport: Transport) -> None:
        super().__init__(f"cron-{binding.name}")
        self.binding = binding
        self.transport = transport
        self._due = next_fire(binding.schedule, utcnow())  # refuses a bad schedule at start-up

    def fire(self) -> int:
        status, _ = self.transport(
            self.binding.app_id,
            f"/{self.binding.name}",
            b"{}",
            {"Content-Type": "application/json"},
        )
        if status >= 300:
            log.warning(
                "cron binding answered an error",
                extra={"binding": self.binding.name, "status": status},
            )
        return status

    def step(self) -> None:
        self.pause(max(0.0, (self._due - utcnow()).total_seconds()))
        if self.stopping:
            return
        try:
            self.fire()
        except Exception:
            log.exception("cron binding failed", extra={"binding": self.binding.name})
        self._due = max(
            next_fire(self.binding.schedule, self._due), utcnow() - timedelta(seconds=1)
        )
