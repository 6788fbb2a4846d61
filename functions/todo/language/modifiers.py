"""What bounds a repeat: ``starting jan 3``, ``until march 1``, ``for 3 weeks``, ``for 5 times``.

They count only next to a repeat phrase somewhere in the same line; without one, the words
stay plain text (``from`` and ``until`` are common in titles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from functions.todo.language import dates, offsets
from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule, match_at
from functions.todo.language.vocab import NUMBER, L, R, compile_, key, number


@dataclass(frozen=True)
class Modifier:
    start: date | None = None
    until: date | None = None
    length: relativedelta | None = None
    count: int | None = None


def _dated(field: str):
    def handle(m: re.Match[str], clock: Clock) -> Hit | None:
        found = match_at(dates.RULES + offsets.RULES, m.string, m.end(), clock)
        if found is None or found.kind != "date" or found.value.query_only or found.weak:
            return None
        value = Modifier(**{field: found.value.day})
        return Hit(m.start(), found.end, "modifier", value)

    return handle


def _length(m: re.Match[str], clock: Clock) -> Hit | None:
    count, unit = number(m.group("n")), key(m.group("u")).removesuffix("s") + "s"
    if not 1 <= count <= 999:
        return None
    return Hit(m.start(), m.end(), "modifier", Modifier(length=relativedelta(**{unit: count})))


def _count(m: re.Match[str], clock: Clock) -> Hit | None:
    count = number(m.group("n"))
    if not 1 <= count <= 999:
        return None
    return Hit(m.start(), m.end(), "modifier", Modifier(count=count))


RULES = (
    Rule(compile_(rf"""{L}(?:starting|starts|start|beginning|begins|from)(?:\s+(?:on|from))?\s+
        (?=\S)"""), _dated("start")),
    Rule(compile_(rf"{L}(?:until|till|til|through|thru|ending|ends)(?:\s+on)?\s+(?=\S)"),
         _dated("until")),
    Rule(compile_(rf"{L}for\s+(?:the\s+next\s+)?(?P<n>{NUMBER})\s+(?P<u>days?|weeks?|months?|years?){R}"),
         _length),
    Rule(compile_(rf"{L}(?:for\s+)?(?P<n>{NUMBER})\s+(?:times|occurrences){R}"), _count),
)  # fmt: skip
