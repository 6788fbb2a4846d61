"""The consumers: cold start, and a backlog drained while the API keeps answering reads.

Progress is read from each consumer's own count of handled events (its Prometheus
`todomesh_events_total`, by app and event type), polled every 0.1 s. A restarted
process starts counting from zero.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.load.metrics import handled

# What each consumer is fed: (app, topic, event type). A cold start needs one event for
# each function; the backlog is what task changes produce (task-events and their
# twins on task-updates): notify consumes reminders, whose volume due reminders bound.
Fed = tuple[tuple[str, str, str], ...]
DRAIN: Fed = (
    ("audit", "task-events", "task.created"),
    ("recurring", "task-events", "task.created"),
    ("hub", "task-updates", "task.created"),
)
COLD: Fed = (*DRAIN, ("notify", "reminders", "reminder.due"))


@dataclass
class Consumer:
    app: str
    event_type: str
    expected: int
    metrics_url: Callable[[], str | None]  # None while not known (the app is not up yet)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (unix time, count)

    def poll(self) -> float:
        url = self.metrics_url()
        count = handled(url, self.app, self.event_type) if url else None
        if count is not None:
            self.samples.append((time.time(), count))
        return count or 0.0

    @property
    def done(self) -> bool:
        return bool(self.samples) and self.samples[-1][1] >= self.expected

    def first(self, at_least: float = 1.0) -> float | None:
        return next((t for t, count in self.samples if count >= at_least), None)


class Progress:
    """Polls the consumers in a thread until each has handled what it expects."""

    def __init__(self, consumers: list[Consumer], every: float = 0.1) -> None:
        self.consumers, self.every = consumers, every
        self.finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def _run(self) -> None:
        while not self.finished.is_set():
            for consumer in self.consumers:
                consumer.poll()
            if all(c.done for c in self.consumers):
                self.finished.set()
            time.sleep(self.every)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.finished.set()
        self._thread.join()


def drain_rates(consumers: list[Consumer], started: float) -> dict[str, Any]:
    """Per consumer: events handled, seconds from its first to its last, events/s."""
    apps = {}
    for c in consumers:
        first = c.first()
        last_t, last_count = c.samples[-1] if c.samples else (started, 0.0)
        at_first = next((count for t, count in c.samples if t == first), 0.0)
        span = (last_t - first) if first else 0.0
        apps[c.app] = {
            "event_type": c.event_type,
            "expected": c.expected,
            "handled": int(last_count),
            "complete": c.done,
            "first_event_after_start_s": round(first - started, 2) if first else None,
            "seconds": round(span, 2),
            "events_per_s": round((last_count - at_first) / span, 1) if span > 0 else None,
            "reason": None if span > 0 else "no progress was seen between two polls",
        }
    rates = [a["events_per_s"] for a in apps.values() if a["events_per_s"] is not None]
    return {"apps": apps, "slowest_events_per_s": min(rates) if rates else None}


def cold_starts(consumers: list[Consumer], started: float) -> dict[str, Any]:
    """Per consumer: seconds from `started` (process start) to its first handled event."""
    apps = {}
    for c in consumers:
        first = c.first()
        apps[c.app] = {
            "event_type": c.event_type,
            "first_event_handled_s": round(first - started, 3) if first else None,
            "reason": None if first else "no event was handled before the deadline",
        }
    return {"apps": apps}
