"""Recurrence rules as values, and what follows from them with dateutil.

The rule is evaluated over wall times in the user's zone (as the recurring service does),
so ``every day at 9am`` stays at 09:00 local across DST. The RRULE carries no DTSTART: the
task's due date starts the series, as the API expects. ``until <date>`` includes that whole
day (UNTIL is its last second, in UTC); ``for 3 weeks`` is an UNTIL too, the last second
before three weeks from the series start; ``for 5 times`` is a COUNT.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from functions.todo.language.clock import Clock, wall_to_aware

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


@dataclass(frozen=True)
class RuleValue:
    freq: str
    interval: int = 1
    byday: tuple[str, ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bang: bool = False
    implied_time: time | None = None

    def body(self) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.bymonth:
            parts.append("BYMONTH=" + ",".join(map(str, self.bymonth)))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.bymonthday)))
        if self.byday:
            parts.append("BYDAY=" + ",".join(self.byday))
        return ";".join(parts)

    def with_bang(self, bang: bool) -> RuleValue:
        return replace(self, bang=bang)


@dataclass(frozen=True)
class Bounds:
    """What the modifiers said: a series start, an end date, a length, or a count."""

    start: date | None = None
    until: date | None = None
    length: relativedelta | None = None
    count: int | None = None


def first_occurrence(rule: RuleValue, start: date, wall: time | None, clock: Clock) -> date:
    """The first date of the series on or after ``start`` (and not before now)."""
    anchor = datetime.combine(start, wall or time(0))
    floor = max(anchor, clock.wall_now if wall else datetime.combine(clock.today, time(0)))
    # Interval 1 here: "every 2 weeks on monday" said on a Tuesday starts next Monday, and
    # the series then counts its fortnights from that first due date.
    found = rrulestr(replace(rule, interval=1).body(), dtstart=anchor).after(floor, inc=True)
    return found.date() if found is not None else start


def rrule_text(rule: RuleValue, bounds: Bounds, series_start: date, timezone: str) -> str:
    body = rule.body()
    if bounds.count is not None:
        return f"{body};COUNT={bounds.count}"
    last_day = bounds.until
    if bounds.length is not None:
        last_day = series_start + bounds.length - timedelta(days=1)
    if last_day is None:
        return body
    last_second = wall_to_aware(datetime.combine(last_day, time(23, 59, 59)), timezone)
    return f"{body};UNTIL={last_second.astimezone(UTC):%Y%m%dT%H%M%SZ}"
