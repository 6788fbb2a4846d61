"""Reminder phrases: ``remind me 30 min before``, ``remind me at 4pm``, ``remind me in 1 hour``.

A reminder is either a lead time before the due (``before``) or a day and/or a time. A
time without a day fires on the due's day when there is one, else at the next such time;
a day without a time fires at 09:00 (the morning) of that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from functions.todo.language import dates, offsets, times
from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule, match_at
from functions.todo.language.model import Reminder
from functions.todo.language.vocab import L, R, compile_

DEFAULT_TIME = time(9)
WHEN_RULES = dates.RULES + times.RULES + offsets.RULES
_GAP = re.compile(r"[\s,]*")


@dataclass(frozen=True)
class ReminderValue:
    before: timedelta | None = None
    day: date | None = None
    wall: time | None = None
    moment: datetime | None = None

    def resolve(self, clock: Clock, due_day: date | None) -> Reminder:
        if self.before is not None:
            return Reminder(before=self.before)
        if self.moment is not None:
            return Reminder(at=self.moment)
        wall = self.wall or DEFAULT_TIME
        day = self.day or due_day or clock.next_wall(wall)
        return Reminder(at=clock.at(day, wall))


def _before(m: re.Match[str], clock: Clock) -> Hit | None:
    count, unit = offsets.amount(m)
    if offsets.delta(count, unit) is None or unit in ("months", "years"):
        return None
    lead = timedelta(**{unit: count})
    return Hit(m.start(), m.end(), "reminder", ReminderValue(before=lead))


BEFORE = Rule(compile_(rf"""{L}{offsets.AMOUNT}\s+(?:before(?:\s+(?:it|that|then))?|earlier
    |prior|ahead(?:\s+of\s+time)?|in\s+advance){R}"""), _before)  # fmt: skip


def read_when(text: str, pos: int, clock: Clock) -> tuple[list[Hit], int]:
    """The run of date and time hits starting at ``pos``, and where it ends."""
    run: list[Hit] = []
    cursor = pos
    while True:
        gap = _GAP.match(text, cursor)
        hit = match_at((BEFORE, *WHEN_RULES), text, gap.end() if run and gap else cursor, clock)
        if hit is None:
            break
        run.append(hit)
        cursor = hit.end
    if all(hit.weak == "cue" for hit in run):
        return [], pos
    return run, cursor


def value_of(run: list[Hit]) -> ReminderValue | None:
    """What a run of hits says about a reminder; None when it says nothing usable."""
    found: dict[str, object] = {}
    for hit in run:
        value = hit.value
        if isinstance(value, ReminderValue) and value.before is not None:
            found.setdefault("before", value.before)
        elif isinstance(value, times.Moment):
            found.setdefault("moment", value.at)
        elif isinstance(value, times.TimeValue):
            found.setdefault("wall", value.wall)
            if value.day is not None:
                found.setdefault("day", value.day)
        elif isinstance(value, dates.DateValue) and not value.query_only:
            found.setdefault("day", value.day)
    return ReminderValue(**found) if found else None  # type: ignore[arg-type]


def _clause(m: re.Match[str], clock: Clock) -> Hit | None:
    run, end = read_when(m.string, m.end(), clock)
    value = value_of(run)
    if value is None:
        return None
    return Hit(m.start(), end, "reminder", value)


RULES = (
    Rule(compile_(rf"{L}(?:remind\s+me|reminder|alert\s+me|notify\s+me|ping\s+me)(?:\s*:)?\s+"),
         _clause),
)  # fmt: skip
