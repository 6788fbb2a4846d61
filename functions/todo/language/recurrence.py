"""Repeat phrases, turned into RRULE parts (see ``rules``).

``every``/``each``/``ev`` + day, weekday (MO-FR), weekend, morning (09:00), N days/weeks/
months/years, ``other`` (interval 2), a list of weekdays, ``3rd friday`` (monthly, +3FR),
``last friday`` (-1FR), ``27th`` (monthly on the 27th: months without one are skipped, as
RFC 5545 says; say ``last day`` for month ends), ``last day`` (-1), ``jan 27`` (yearly).
``every!``/``ev!`` repeat from the completion date instead of the due date. ``daily``,
``weekly``, ``monthly``, ``yearly`` count unless a plain word follows (``daily standup``
is a title), and ``every`` before anything else (``every single time``) is plain text.
"""

from __future__ import annotations

import re
from datetime import date

from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule
from functions.todo.language.rules import RuleValue
from functions.todo.language.times import PARTS_OF_DAY
from functions.todo.language.vocab import (
    DAY_NUMBER,
    MONTH,
    MONTHS,
    NUMBER,
    ORDINAL_SUFFIX,
    ORDINAL_WORDS,
    RRULE_DAYS,
    WEEKDAY,
    WEEKDAYS,
    L,
    R,
    alt,
    compile_,
    key,
    number,
)

EVERY = r"(?P<every>every|each|ev)(?P<bang>!)?\s+"
WDLIST = rf"{WEEKDAY}s?(?:\s*(?:,|&|/|\+|\band\b|\bor\b)\s*(?:and\s+)?{WEEKDAY}s?)*"
ORDN = rf"(?:[1-5]{ORDINAL_SUFFIX}|{alt(ORDINAL_WORDS)})"
OF_MONTH = r"(?:\s+of\s+(?:the|every|each)\s+month)?"
WEEKDAYS_MO_FR = RRULE_DAYS[:5]
_DAY_WORD = re.compile(WEEKDAY + "s?", re.IGNORECASE)


def _hit(m: re.Match[str], rule: RuleValue | None, weak: str | None = None) -> Hit | None:
    if rule is None:
        return None
    return Hit(m.start(), m.end(), "recurrence", rule.with_bang(bool(m.group("bang"))), weak)


def _interval(m: re.Match[str]) -> int:
    if m.group("other"):
        return 2
    if m.group("nth"):
        return _ordinal(m.group("nth"))
    return number(m.group("n")) if m.group("n") else 1


def _days(text: str) -> tuple[str, ...]:
    found = [RRULE_DAYS[WEEKDAYS[key(w).removesuffix("s")]] for w in _DAY_WORD.findall(text)]
    return tuple(sorted(set(found), key=RRULE_DAYS.index))


def _ordinal(text: str) -> int:
    word = key(text)
    return int(word[0]) if word[0].isdigit() else ORDINAL_WORDS[word]


def _every_unit(m: re.Match[str], clock: Clock) -> Hit | None:
    interval, unit = _interval(m), key(m.group("unit")).removesuffix("s")
    if not 1 <= interval <= 999 or (m.group("nth") and interval == 1):
        return None
    freq = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}[unit]
    groups = m.groupdict()
    rule = RuleValue(freq, interval)
    if groups.get("days"):
        rule = RuleValue(freq, interval, byday=_days(groups["days"]))
    elif groups.get("md") or groups.get("lastday"):
        rule = RuleValue(freq, interval, bymonthday=(int(groups["md"] or -1),))
    elif groups.get("ord"):
        byday = f"{_ordinal(groups['ord']):+d}{_days(groups['owd'])[0]}"
        rule = RuleValue(freq, interval, byday=(byday,))
    elif groups.get("ym"):
        return _hit(m, _yearly(groups["ym"], groups["yd"], interval))
    return _hit(m, rule)


def _yearly(month_name: str, day: str, interval: int = 1) -> RuleValue | None:
    month = MONTHS[key(month_name).rstrip(".")]
    try:
        date(2024, month, int(day))  # a leap year: Feb 29 is a real yearly date
    except ValueError:
        return None
    return RuleValue("YEARLY", interval, bymonthday=(int(day),), bymonth=(month,))


def _named(m: re.Match[str], clock: Clock) -> Hit | None:
    what = key(m.group("what"))
    if what in ("weekday", "workday", "work day", "business day", "weekdays"):
        return _hit(m, RuleValue("WEEKLY", byday=WEEKDAYS_MO_FR))
    if what in ("weekend", "weekends"):
        return _hit(m, RuleValue("WEEKLY", byday=("SA", "SU")))
    return _hit(m, RuleValue("DAILY", implied_time=PARTS_OF_DAY[what]))


def _weekdays(m: re.Match[str], clock: Clock) -> Hit | None:
    interval = 2 if m.groupdict().get("other") else 1
    return _hit(m, RuleValue("WEEKLY", interval, byday=_days(m.group("days"))))


def _nth_weekday(m: re.Match[str], clock: Clock) -> Hit | None:
    byday = f"{_ordinal(m.group('ord')):+d}{_days(m.group('wd'))[0]}"
    return _hit(m, RuleValue("MONTHLY", byday=(byday,)))


def _month_day(m: re.Match[str], clock: Clock) -> Hit | None:
    word = key(m.group("md") or m.group("md2"))
    day = {"last": -1, "first": 1}.get(word) or int(word)
    return _hit(m, RuleValue("MONTHLY", bymonthday=(day,)))


def _annual_date(m: re.Match[str], clock: Clock) -> Hit | None:
    return _hit(m, _yearly(m.group("m") or m.group("m2"), m.group("d") or m.group("d2")))


def _adjective(m: re.Match[str], clock: Clock) -> Hit | None:
    word = key(m.group("adj"))
    freq = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY"}.get(word, "YEARLY")
    rule = RuleValue("WEEKLY", 2) if word == "fortnightly" else RuleValue(freq)
    return _hit(m, rule, weak="adjective")


_N = rf"(?:(?P<other>other)\s+|(?P<n>{NUMBER})\s+|(?P<nth>{ORDN})\s+)?"
_ON_DAYS = rf"(?:\s+on\s+(?P<days>{WDLIST}))?"
_ON_MONTH = rf"""(?:\s+on\s+the\s+(?:(?P<ord>{ORDN})\s+(?P<owd>{WEEKDAY})
    |(?P<md>{DAY_NUMBER}){ORDINAL_SUFFIX}|(?P<lastday>last\s+day)))?"""
_ON_YEAR = rf"(?:\s+on\s+(?P<ym>{MONTH})\.?\s+(?P<yd>{DAY_NUMBER}){ORDINAL_SUFFIX}?)?"
RULES = (
    Rule(compile_(rf"{L}{EVERY}{_N}(?:single\s+)?(?P<unit>days?){R}"), _every_unit),
    Rule(compile_(rf"{L}{EVERY}{_N}(?P<unit>weeks?){_ON_DAYS}{R}"), _every_unit),
    Rule(compile_(rf"{L}{EVERY}{_N}(?P<unit>months?){_ON_MONTH}{R}"), _every_unit),
    Rule(compile_(rf"{L}{EVERY}{_N}(?P<unit>years?){_ON_YEAR}{R}"), _every_unit),
    Rule(compile_(rf"""{L}{EVERY}(?:single\s+)?(?P<what>weekday|workday|work\s+day|business\s+day
        |weekend|morning|afternoon|evening|night){R}"""), _named),
    Rule(compile_(rf"{L}(?:on\s+)?(?P<what>weekdays|weekends)(?P<bang>)?{R}"), _named),
    Rule(compile_(rf"{L}{EVERY}(?:(?P<other>other)\s+)?(?P<days>{WDLIST}){R}"), _weekdays),
    Rule(compile_(rf"""{L}(?:on\s+)?(?P<days>(?:monday|tuesday|wednesday|thursday|friday|saturday
        |sunday)s(?:\s*(?:,|&|/|\band\b)\s*{WEEKDAY}s)*)(?P<bang>)?{R}"""), _weekdays),
    Rule(compile_(rf"{L}{EVERY}(?P<ord>{ORDN})\s+(?P<wd>{WEEKDAY}){OF_MONTH}{R}"), _nth_weekday),
    Rule(compile_(rf"""{L}{EVERY}(?:(?P<md>{DAY_NUMBER}){ORDINAL_SUFFIX}(?:\s+day)?
        |(?P<md2>last|first)\s+day){OF_MONTH}{R}"""), _month_day),
    Rule(compile_(rf"""{L}{EVERY}(?:(?P<m>{MONTH})\.?\s+(?P<d>{DAY_NUMBER}){ORDINAL_SUFFIX}?
        |(?P<d2>{DAY_NUMBER}){ORDINAL_SUFFIX}?\s+(?:of\s+)?(?P<m2>{MONTH})){R}"""), _annual_date),
    Rule(compile_(rf"{L}(?P<adj>daily|weekly|monthly|yearly|annually|fortnightly)(?P<bang>!)?{R}"),
         _adjective),
)  # fmt: skip
