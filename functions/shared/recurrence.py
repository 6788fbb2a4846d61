"""Recurrence maths for recurring tasks: validate a rule and compute the next due date.

Pure functions, no I/O. Rules are evaluated in local wall time, so a series at 09:00
Europe/Berlin stays at 09:00 local across DST changes (its UTC offset changes instead).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, rrulebase, rrulestr

SHORTCUTS = ("daily", "weekly", "monthly")
# What every occurrence of a series takes from the one before it (besides its dates).
SERIES_FIELDS = (
    "title",
    "description",
    "priority",
    "tags",
    "timezone",
    "recurrence",
    "repeat_from",
    "all_day",
)
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_PART = re.compile(r"([A-Z]+)=([A-Z0-9,+-]+)")
_PROBE_START = datetime(2000, 1, 1, tzinfo=UTC)
_PROBE_LATE = datetime(9950, 1, 1, tzinfo=UTC)


def validate_recurrence(value: str | None) -> str | None:
    """Return the normalised recurrence, or raise ValueError with a user-facing reason.

    Shortcuts come back lower-case; RRULEs upper-case without the ``RRULE:`` prefix.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("recurrence must be a string or null")
    text = value.strip()
    if not text:
        raise ValueError("recurrence must not be empty; use null for a one-off task")
    if text.lower() in SHORTCUTS:
        return text.lower()
    body = text.upper().removeprefix("RRULE:")
    parts = _split_rule(body)
    _check_parts(parts)
    _parse_rule(body, _PROBE_START)
    _check_occurs(parts)
    return body


def next_occurrence(
    recurrence: str,
    due: datetime,
    *,
    tz: str | None = None,
    occurrence: int = 1,
    series_start: datetime | None = None,
) -> datetime | None:
    """Return the first instance strictly after ``due``, or None when the series is over.

    The rule is anchored at ``series_start`` (default ``due``) and evaluated in the wall time
    of ``tz`` (default: ``due``'s own tzinfo, usually a fixed offset). ``occurrence`` is the
    1-based number of the instance just completed, checked against COUNT. The result is
    aware, in the evaluation zone.
    """
    rule_text = validate_recurrence(recurrence)
    if rule_text is None:
        return None
    if occurrence < 1:
        raise ValueError("occurrence is 1-based and must be at least 1")
    zone = _zone(tz, _aware(due, "due"))
    start = _aware(series_start or due, "series_start").astimezone(zone)
    if _count_exhausted(rule_text, occurrence):
        return None
    found = _build_rule(rule_text, start).after(due.astimezone(zone), inc=False)
    if found is None:
        return None
    # rrule drops microseconds; a wall time in a DST gap moves forward to a real instant.
    return found.replace(microsecond=start.microsecond).astimezone(UTC).astimezone(zone)


def end_of_day(moment: datetime, tz: str | None) -> datetime:
    """The last microsecond of `moment`'s calendar day in zone `tz` (UTC when None): where
    a task due on a day, not at a time, keeps its due date."""
    zone = ZoneInfo(tz) if tz else UTC
    local = moment.astimezone(zone)
    last = datetime.combine(local.date(), time.max, tzinfo=zone)
    return last.astimezone(UTC).astimezone(zone)


def _split_rule(body: str) -> dict[str, str]:
    if "DTSTART" in body:
        raise ValueError("DTSTART is not allowed in recurrence; the task's due date starts it")
    parts: dict[str, str] = {}
    for part in body.split(";"):
        match = _PART.fullmatch(part)
        if match is None:
            raise ValueError(
                f"recurrence {body!r} is neither daily, weekly, monthly nor an RRULE "
                "such as FREQ=WEEKLY;BYDAY=MO,WE,FR"
            )
        name, value = match.groups()
        if name in parts:
            raise ValueError(f"RRULE part {name} appears more than once")
        parts[name] = value
    return parts


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise ValueError("RRULE must contain FREQ, e.g. FREQ=WEEKLY;BYDAY=MO")
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown FREQ {freq!r}; expected one of {', '.join(FREQUENCIES)}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError("RRULE must not contain both COUNT and UNTIL")
    for name in ("COUNT", "INTERVAL"):
        if name in parts and not (parts[name].isdigit() and int(parts[name]) >= 1):
            raise ValueError(f"RRULE {name} must be a positive integer")


def _parse_rule(body: str, start: datetime) -> rrulebase:
    try:
        return rrulestr(body, dtstart=start)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"invalid RRULE {body!r}: {exc}") from exc


def _check_occurs(parts: dict[str, str]) -> None:
    """Refuse a rule with no instance at all (e.g. FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30).

    dateutil searches such a rule up to the year 9999: from 2000 that is seconds of CPU
    per request. Probing from 9950 (COUNT and UNTIL left out) bounds it to 50 years,
    which hold every leap-year and weekday pattern a rule can ask for.
    """
    core = ";".join(
        f"{name}={value}" for name, value in parts.items() if name not in ("COUNT", "UNTIL")
    )
    if _parse_rule(core, _PROBE_LATE).after(_PROBE_LATE, inc=True) is None:
        raise ValueError("the RRULE never produces a date; check its BY* parts")


def _build_rule(rule_text: str, start: datetime) -> rrulebase:
    if rule_text == "daily":
        return rrule(DAILY, dtstart=start)
    if rule_text == "weekly":
        return rrule(WEEKLY, dtstart=start)
    if rule_text == "monthly":
        # The start's day of month, or the month's last day when that day does not exist.
        return rrule(MONTHLY, dtstart=start, bymonthday=(start.day, -1), bysetpos=1)
    return _parse_rule(rule_text, start)


def _count_exhausted(rule_text: str, occurrence: int) -> bool:
    if rule_text in SHORTCUTS:
        return False
    count = _split_rule(rule_text).get("COUNT")
    return count is not None and occurrence >= int(count)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment


def _zone(tz: str | None, due: datetime) -> tzinfo:
    if tz is None:
        assert due.tzinfo is not None
        return due.tzinfo
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc
