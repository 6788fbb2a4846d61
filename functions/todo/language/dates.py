"""Date phrases: relative words, weekdays, named periods and calendar dates.

Weekday rules (ISO weeks start on Monday):
``friday`` is the next Friday after today (today excluded: say ``today`` for today);
``this friday`` is the one on or after today; ``next friday`` is the Friday of next week.
``next week`` is next Monday, ``next month`` the 1st of next month, ``this weekend`` the
coming Saturday (today on a weekend day), ``end of month`` the month's last day and
``mid january`` the next January 15th. ``this week``/``this month`` only filter lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from functions.todo.language import absolute
from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule
from functions.todo.language.vocab import (
    DAY_NUMBER,
    MONTH,
    MONTHS,
    ORDINAL_SUFFIX,
    WEAK_WEEKDAYS,
    WEEKDAY,
    WEEKDAYS,
    L,
    R,
    compile_,
    key,
)

CUE = r"(?P<cue>due(?:\s+(?:on|by))?\s+|(?:on|by|for)\s+)?"


@dataclass(frozen=True)
class DateValue:
    """A day, and the period it names for list filters: [day, end) (``next week``: 7 days)."""

    day: date
    until: date | None = None
    label: str = ""
    query_only: bool = False

    @property
    def end(self) -> date:
        return self.until or self.day + timedelta(days=1)


def _hit(m: re.Match[str], value: DateValue | None, weak: str | None = None) -> Hit | None:
    if value is None:
        return None
    label = key(m.group(0)[len(m.group("cue") or "") :])
    return Hit(m.start(), m.end(), "date", replace(value, label=label), weak)


def _relative_day(m: re.Match[str], clock: Clock) -> Hit | None:
    word = m.group("word")
    if word.lower() in ("tod", "tom") and word != word.lower():
        return None  # "Tom" is a name
    offset = _RELATIVE_DAYS.get(key(word), 2)  # else "(the) day after tomorrow"
    return _hit(m, DateValue(clock.today + timedelta(days=offset)))


_RELATIVE_DAYS = {"today": 0, "tod": 0, "tomorrow": 1, "tomorow": 1, "tmrw": 1, "tmr": 1, "tom": 1}


def _weekday(m: re.Match[str], clock: Clock) -> Hit | None:
    name, rel = key(m.group("wd")), key(m.group("rel") or "")
    today, target = clock.today, WEEKDAYS[name]
    if rel == "next":
        day = today - timedelta(days=today.weekday()) + timedelta(days=7 + target)
    else:
        ahead = (target - today.weekday()) % 7
        day = today + timedelta(days=ahead or (0 if rel == "this" else 7))
    weak = "cue" if name in WEAK_WEEKDAYS and not (rel or m.group("cue")) else None
    return _hit(m, DateValue(day), weak)


def _period(m: re.Match[str], clock: Clock) -> Hit | None:
    return _hit(m, _period_value(key(m.group("rel")), key(m.group("unit")), clock.today))


def _the_weekend(m: re.Match[str], clock: Clock) -> Hit | None:
    return _hit(m, _period_value("this", "weekend", clock.today))


def _period_value(rel: str, unit: str, today: date) -> DateValue:
    if unit == "weekend":
        saturday = today - timedelta(days=today.weekday()) + timedelta(days=5)
        if rel == "next":
            saturday += timedelta(days=7)
        return DateValue(max(saturday, today), saturday + timedelta(days=2))
    start = {
        "week": today - timedelta(days=today.weekday()),
        "month": today.replace(day=1),
        "year": date(today.year, 1, 1),
    }[unit]
    step = relativedelta(**{unit + "s": 1})
    if rel == "next":
        return DateValue(start + step, start + 2 * step)
    return DateValue(start, start + step, query_only=True)


def _end_of(m: re.Match[str], clock: Clock) -> Hit | None:
    what, today = key(m.group("what")), clock.today
    if what in ("year", "eoy"):
        return _hit(m, DateValue(date(today.year, 12, 31)))
    if what in MONTHS:
        first = absolute.next_on_or_after(today.replace(day=1), MONTHS[what], 1)
        return _hit(m, None if first is None else DateValue(first + relativedelta(day=31)))
    months = 1 if what.startswith("next") else 0
    return _hit(m, DateValue(today + relativedelta(months=months, day=31)))


def _mid(m: re.Match[str], clock: Clock) -> Hit | None:
    what, today = key(m.group("what")), clock.today
    if what == "month":
        mid = today.replace(day=15)
        return _hit(m, DateValue(mid if mid >= today else mid + relativedelta(months=1)))
    return _hit(m, _maybe(absolute.next_on_or_after(today, MONTHS[what], 15)))


def _calendar(m: re.Match[str], clock: Clock) -> Hit | None:
    text = m.group("date")
    year = m.groupdict().get("year") is not None or m.groupdict().get("iso") is not None
    found = absolute.resolve(text, clock.today, clock.timezone, explicit_year=year)
    return _hit(m, _maybe(found))


def _nth(m: re.Match[str], clock: Clock) -> Hit | None:
    day_of_month, today = int(m.group("d")), clock.today
    for months in range(13):
        first = today.replace(day=1) + relativedelta(months=months)
        candidate = first + relativedelta(day=day_of_month)
        if candidate.day == day_of_month and candidate >= today:
            return _hit(m, DateValue(candidate), None if m.group("cue") else "tail")
    return None


def _maybe(day: date | None) -> DateValue | None:
    return None if day is None else DateValue(day)


_ORD = ORDINAL_SUFFIX
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_CUE_REQUIRED = CUE.removesuffix("?")
RULES = (
    Rule(compile_(rf"""{L}{CUE}(?P<word>today|tod|tomorrow|tomorow|tmrw|tmr|tom
        |(?:the\s+)?day\s+after\s+tomorrow){R}"""), _relative_day),
    Rule(compile_(rf"{L}{CUE}(?:(?P<rel>this\s+coming|this|next|coming)\s+)?(?P<wd>{WEEKDAY}){R}"),
         _weekday),
    Rule(compile_(rf"{L}{CUE}(?P<rel>this|next)\s+(?P<unit>week|month|year|weekend){R}"), _period),
    Rule(compile_(rf"{L}(?P<cue>(?:on|at|over|by|for|during)\s+)the\s+weekend{R}"), _the_weekend),
    Rule(compile_(rf"""{L}{CUE}(?:the\s+)?end\s+of\s+(?:the\s+)?
        (?P<what>month|year|next\s+month|{MONTH}){R}"""),
         _end_of),
    Rule(compile_(rf"{L}{CUE}(?P<what>eom|eoy){R}"), _end_of),
    Rule(compile_(rf"{L}{CUE}mid[\s-]*(?P<what>month|{MONTH}){R}"), _mid),
    Rule(compile_(rf"{L}{CUE}(?P<date>{MONTH}\.?\s+{DAY_NUMBER}{_ORD}?{_YEAR}){R}"), _calendar),
    Rule(compile_(rf"{L}{CUE}(?P<date>{DAY_NUMBER}{_ORD}?\s+(?:of\s+)?{MONTH}{_YEAR}){R}"),
         _calendar),
    Rule(compile_(rf"{L}{CUE}(?P<date>(?P<iso>\d{{4}}-\d\d-\d\d)){R}"), _calendar),
    Rule(compile_(rf"{L}(?:{_CUE_REQUIRED}(?:the\s+)?|the\s+)(?P<d>{DAY_NUMBER}){_ORD}{R}"), _nth),
)  # fmt: skip
