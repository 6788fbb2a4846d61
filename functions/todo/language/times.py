"""Times of day.

``5pm``, ``5:30 pm``, ``17:30``, ``at 9``. A clock time without am/pm and without a leading
zero reads 1-6 as afternoon (``at 5`` is 17:00) and 7-12 as morning or noon; ``05:30`` and
13-23 read as a 24-hour clock. Words: noon/midday 12:00, midnight 23:59 (the end of that
day, so ``friday midnight`` stays on Friday), morning 09:00, afternoon 15:00, evening 19:00,
night and tonight 20:00. A bare ``morning``/``evening``/``night`` counts only right after
a date (``tomorrow morning``, not ``movie night friday``); ``this morning``, ``in the
evening`` and ``tonight`` stand alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule
from functions.todo.language.vocab import L, R, compile_, key

PARTS_OF_DAY = {
    "morning": time(9),
    "afternoon": time(15),
    "evening": time(19),
    "night": time(20),
    "tonight": time(20),
    "tonite": time(20),
    "noon": time(12),
    "midday": time(12),
    "midnight": time(23, 59),
}
_AT = r"(?P<cue>(?:at|@|by)\s*)?"


@dataclass(frozen=True)
class TimeValue:
    """A wall time, on a given day when the phrase names one (``tonight``, ``this morning``)."""

    wall: time
    day: date | None = None


@dataclass(frozen=True)
class Moment:
    """An exact instant (``in 2 hours``)."""

    at: datetime


def _hit(m: re.Match[str], wall: time | None, day: date | None = None, weak: str | None = None):
    if wall is None:
        return None
    return Hit(m.start(), m.end(), "time", TimeValue(wall, day), weak)


def _meridiem(m: re.Match[str], clock: Clock) -> Hit | None:
    hour, minute = int(m.group("h")), int(m.group("mi") or 0)
    if not 1 <= hour <= 12 or minute > 59:
        return None
    pm = m.group("ap").lower().startswith("p")
    return _hit(m, time(hour % 12 + (12 if pm else 0), minute))


def _clock(m: re.Match[str], clock: Clock) -> Hit | None:
    text, hour = m.group("h"), int(m.group("h"))
    minute = int(m.groupdict().get("mi") or 0)
    if hour > 23 or minute > 59:
        return None
    if 1 <= hour <= 6 and not text.startswith("0"):
        hour += 12
    return _hit(m, time(hour, minute))


def _word(m: re.Match[str], clock: Clock) -> Hit | None:
    word, lead = key(m.group("word")), key(m.group("lead") or "")
    wall = PARTS_OF_DAY[word]
    if word in ("tonight", "tonite") or lead == "this":
        return _hit(m, wall, clock.today)
    standalone = word in ("noon", "midday", "midnight") or lead or m.group("cue")
    return _hit(m, wall, weak=None if standalone else "after")


RULES = (
    Rule(compile_(rf"""{L}{_AT}(?P<h>\d{{1,2}})(?::(?P<mi>\d\d))?\s*
        (?P<ap>a\.m\.|p\.m\.|am|pm)(?![\w'’@#/\-\x00])"""), _meridiem),
    Rule(compile_(rf"{L}{_AT}(?P<h>\d{{1,2}}):(?P<mi>\d\d){R}"), _clock),
    Rule(compile_(rf"{L}(?P<cue>(?:at|@)\s*)(?P<h>\d{{1,2}})(?:\s*o'?clock)?{R}"), _clock),
    Rule(compile_(rf"""{L}(?P<cue>(?:at|by)\s+)?(?:(?P<lead>this|in\s+the|at)\s+)?
        (?P<word>morning|afternoon|evening|night|tonight|tonite|noon|midday|midnight){R}"""),
         _word),
)  # fmt: skip
