"""Offsets from now: ``in 3 days``, ``in 30 min``, ``+3d``, ``+2h``, ``2 weeks from now``.

Days, weeks, months and years land on a date (no time); hours and minutes on an exact
instant, counted in elapsed time. ``by 2 days`` is a shift of the current due date, which
only rescheduling understands (``snooze 1 for 2 hours`` too).
"""

from __future__ import annotations

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from functions.todo.language.clock import Clock
from functions.todo.language.dates import DateValue
from functions.todo.language.hits import Hit, Rule
from functions.todo.language.model import Shift
from functions.todo.language.times import Moment
from functions.todo.language.vocab import LONG_UNIT, NUMBER, UNITS, L, R, compile_, key, number

AMOUNT = rf"""(?:(?P<n>{NUMBER})\s+(?P<u>{LONG_UNIT})|(?P<n2>\d{{1,3}})\s?(?P<u2>mo|[mhdwy])
    |(?P<half>half\s+an?)\s+(?P<u3>hour|day))"""
MAX_DAYS = 366 * 20


def amount(m: re.Match[str]) -> tuple[int, str]:
    """(count, unit) of an AMOUNT match, unit one of minutes/hours/days/weeks/months/years."""
    groups = m.groupdict()
    if groups.get("half"):
        return (30, "minutes") if key(groups["u3"]) == "hour" else (12, "hours")
    count = number(groups.get("n") or groups["n2"])
    return count, UNITS[key(groups.get("u") or groups["u2"])]


def delta(count: int, unit: str) -> relativedelta | None:
    if count < 1 or count * {"minutes": 1 / 1440, "hours": 1 / 24, "days": 1, "weeks": 7,
                             "months": 31, "years": 366}[unit] > MAX_DAYS:  # fmt: skip
        return None
    return relativedelta(**{unit: count})


def _from_now(m: re.Match[str], clock: Clock) -> Hit | None:
    count, unit = amount(m)
    step = delta(count, unit)
    if step is None:
        return None
    if unit in ("minutes", "hours"):
        elapsed = timedelta(**{unit: count})
        return Hit(m.start(), m.end(), "time", Moment(clock.after(elapsed)))
    label = key(m.group(0))
    return Hit(m.start(), m.end(), "date", DateValue(clock.today + step, label=label))


def _shift(m: re.Match[str], clock: Clock) -> Hit | None:
    count, unit = amount(m)
    if delta(count, unit) is None:
        return None
    days = count * {"days": 1, "weeks": 7}.get(unit, 0)
    minutes = count * {"minutes": 1, "hours": 60}.get(unit, 0)
    months = count * {"months": 1, "years": 12}.get(unit, 0)
    return Hit(m.start(), m.end(), "shift", Shift(days=days, minutes=minutes, months=months))


RULES = (
    Rule(compile_(rf"{L}in\s+{AMOUNT}{R}"), _from_now),
    Rule(compile_(rf"(?<![\w+\x00])\+(?P<n2>\d{{1,3}})\s?(?P<u2>mo|[mhdwy]){R}"), _from_now),
    Rule(compile_(rf"{L}{AMOUNT}\s+from\s+(?:now|today){R}"), _from_now),
)  # fmt: skip
SHIFT_RULES = (Rule(compile_(rf"{L}(?:by|for)\s+(?:another\s+)?{AMOUNT}{R}"), _shift),)
