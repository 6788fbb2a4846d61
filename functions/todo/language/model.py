"""The result of parsing one line: frozen, JSON-friendly through ``to_dict()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from functions.todo.language.clock import wall_to_aware

INTENTS = (
    "add",
    "list",
    "complete",
    "reopen",
    "delete",
    "rename",
    "reschedule",
    "remind",
    "repeat",
    "unknown",
)
SPAN_KINDS = ("date", "time", "recurrence", "priority", "tag", "reminder", "intent")


@dataclass(frozen=True)
class Due:
    """A due date, with a wall-clock time or none at all (an all-day task stays a date)."""

    date: date
    time: time | None
    timezone: str

    @classmethod
    def of(cls, day: date, wall: time | None, timezone: str) -> Due:
        """A due whose wall time is a real one: a time in a spring-forward gap moves on."""
        if wall is None:
            return cls(day, None, timezone)
        moment = wall_to_aware(datetime.combine(day, wall), timezone)
        return cls(moment.date(), moment.time().replace(tzinfo=None, fold=0), timezone)

    @property
    def all_day(self) -> bool:
        return self.time is None

    def moment(self, default_time: time | None = None) -> datetime | None:
        """The aware instant in the user's zone; None for an all-day due without a default."""
        wall = self.time or default_time
        if wall is None:
            return None
        return wall_to_aware(datetime.combine(self.date, wall), self.timezone)

    def to_dict(self) -> dict[str, Any]:
        moment = self.moment()
        return {
            "date": self.date.isoformat(),
            "time": None if self.time is None else self.time.strftime("%H:%M"),
            "datetime": None if moment is None else moment.isoformat(),
            "timezone": self.timezone,
        }


@dataclass(frozen=True)
class Reminder:
    """Either an absolute instant (``at``) or a lead time before the due (``before``)."""

    at: datetime | None = None
    before: timedelta | None = None

    def resolve(self, due: datetime | None) -> datetime | None:
        """The instant to fire: ``at``, or ``due - before`` (None without a due)."""
        if self.at is not None:
            return self.at
        if due is None or self.before is None:
            return None
        return due - self.before

    def to_dict(self) -> dict[str, Any]:
        minutes = None if self.before is None else int(self.before.total_seconds() // 60)
        return {
            "at": None if self.at is None else self.at.isoformat(),
            "before_minutes": minutes,
        }


@dataclass(frozen=True)
class Shift:
    """Move a due date by an amount relative to its current value (``postpone 3 by 2 days``)."""

    days: int = 0
    minutes: int = 0
    months: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"days": self.days, "minutes": self.minutes, "months": self.months}


@dataclass(frozen=True)
class Query:
    """What a ``list`` intent asked for. Dates are [due_from, due_to): end exclusive."""

    status: str | None = None
    overdue: bool = False
    window: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "overdue": self.overdue,
            "window": self.window,
            "due_from": None if self.due_from is None else self.due_from.isoformat(),
            "due_to": None if self.due_to is None else self.due_to.isoformat(),
            "priority": self.priority,
            "tags": list(self.tags),
            "text": self.text,
        }


@dataclass(frozen=True)
class Span:
    """One understood part of the text; offsets index the original string, end exclusive."""

    start: int
    end: int
    kind: str
    text: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "text": self.text,
            "value": self.value,
        }


@dataclass(frozen=True)
class Parsed:
    intent: str
    title: str = ""
    target: dict[str, Any] | None = None
    due: Due | None = None
    recurrence: str | None = None
    recur_from_completion: bool = False
    reminder: Reminder | None = None
    shift: Shift | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    query: Query | None = None
    spans: tuple[Span, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        def opt(value: Any) -> Any:
            return None if value is None else value.to_dict()

        return {
            "intent": self.intent,
            "title": self.title,
            "target": None if self.target is None else dict(self.target),
            "due": opt(self.due),
            "recurrence": self.recurrence,
            "recur_from_completion": self.recur_from_completion,
            "reminder": opt(self.reminder),
            "shift": opt(self.shift),
            "priority": self.priority,
            "tags": list(self.tags),
            "query": opt(self.query),
            "spans": [span.to_dict() for span in self.spans],
        }
