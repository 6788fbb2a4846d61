"""Fires cron input bindings the way daprd does: `POST /<binding-name>` with `{}`."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from croniter import croniter

from functions.runtime.dispatcher import Transport
from functions.runtime.resources import CronBinding, every
from functions.shared.events import utcnow

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


class CronRunner:
    def __init__(self, binding: CronBinding, transport: Transport) -> None:
        self.binding = binding
        self.transport = transport
        next_fire(binding.schedule, utcnow())  # refuse a bad schedule at start-up
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        name = f"cron-{self.binding.name}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

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

    def _run(self) -> None:
        due = next_fire(self.binding.schedule, utcnow())
        while not self._stop.wait(max(0.0, (due - utcnow()).total_seconds())):
            try:
                self.fire()
            except Exception:
                log.exception("cron binding failed", extra={"binding": self.binding.name})
            due = max(next_fire(self.binding.schedule, due), utcnow() - timedelta(seconds=1))
