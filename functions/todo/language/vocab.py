"""Word tables and regex fragments shared by the grammars.

Every pattern runs on the *scan* text (see ``masking``), case-insensitively, and is fenced
by ``L`` and ``R`` so a word never matches inside another one: ``may`` is not found in
``Mayday`` or ``may-be-null``, ``mar`` not in ``Marcus``, ``2`` not in ``v2.5``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "\x00"
L = r"(?<![\w'’@#/\-.\x00])"
R = r"(?![\w'’@#/\-\x00]|[.:,]\w)"
FLAGS = re.IGNORECASE | re.VERBOSE

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "weds": 2,
    "wed": 2, "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
# Abbreviations that are also English words: a date only with a cue (on, next, every, a time).
WEAK_WEEKDAYS = frozenset({"wed", "sat", "sun"})
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
}  # fmt: skip
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
    "second last": -2, "second to last": -2,
}  # fmt: skip

UNITS = {
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "m": "minutes", "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours",
    "h": "hours", "day": "days", "days": "days", "d": "days", "week": "weeks",
    "weeks": "weeks", "wk": "weeks", "wks": "weeks", "w": "weeks", "month": "months",
    "months": "months", "mo": "months", "year": "years", "years": "years", "yr": "years",
    "yrs": "years", "y": "years",
}  # fmt: skip
SHORT_UNITS = ("m", "h", "d", "w", "y", "mo")


def alt(words: Iterable[str]) -> str:
    """A regex alternation of the words, longest first, spaces matching any whitespace."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered) + ")"


def key(text: str) -> str:
    """Normalise a matched word for a table lookup."""
    return " ".join(text.lower().split())


WEEKDAY = alt(WEEKDAYS)
MONTH = alt(MONTHS)
NUMBER = r"(?:\d{1,3}|" + alt(NUMBER_WORDS) + ")"
LONG_UNIT = alt(u for u in UNITS if u not in SHORT_UNITS)
DAY_NUMBER = r"(?:3[01]|[12]\d|0?[1-9])"
ORDINAL_SUFFIX = r"(?:st|nd|rd|th)"


def number(text: str) -> int:
    """The value of a NUMBER match."""
    word = key(text)
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def compile_(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, FLAGS)
