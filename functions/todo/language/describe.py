"""Plain English for an RRULE: ``every 3rd Friday``, ``every 2 weeks on Monday``.

``describe_rrule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", start)`` is "every weekday at 9:00" when
``start`` is a datetime at 09:00; a ``date`` (or None) adds no time. UNTIL is shown as a day
in ``start``'s zone (UTC without one); COUNT as "5 times".
"""

from __future__ import annotations

from datetime import UTC, date, datetime

DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
             "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}  # fmt: skip
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year",
         "HOURLY": "hour", "MINUTELY": "minute", "SECONDLY": "second"}  # fmt: skip
SHORTCUTS = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY"}
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def describe_rrule(rrule: str, dtstart: date | None = None) -> str:
    """A short English phrase for the rule; ValueError for text that is no RRULE."""
    parts = _parts(rrule)
    unit = UNITS.get(parts.get("FREQ", ""))
    if unit is None:
        raise ValueError(f"not an RRULE with a known FREQ: {rrule!r}")
    interval = int(parts.get("INTERVAL", "1") or 1)
    phrase = _body(parts, unit, interval) + _time(parts, dtstart) + _end(parts, dtstart)
    return phrase


def _parts(rrule: str) -> dict[str, str]:
    text = rrule.strip()
    text = SHORTCUTS.get(text.lower(), text).upper().removeprefix("RRULE:")
    parts = {}
    for item in filter(None, text.split(";")):
        name, _, value = item.partition("=")
        parts[name.strip()] = value.strip()
    return parts


def _every(unit: str, interval: int) -> str:
    return f"every {unit}" if interval == 1 else f"every {interval} {unit}s"


def _body(parts: dict[str, str], unit: str, interval: int) -> str:
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    monthdays = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d]
    months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m]
    if unit == "week" and days:
        if sorted(days, key=list(DAY_NAMES).index) == list(DAY_NAMES)[:5] and interval == 1:
            return "every weekday"
        names = _join([DAY_NAMES.get(d, d) for d in days])
        return f"every {names}" if interval == 1 else f"{_every(unit, interval)} on {names}"
    if unit == "month" and days:
        nth = _join([_nth_day(d) for d in days])
        return f"every {nth}" if interval == 1 else f"{_every(unit, interval)} on the {nth}"
    if unit == "month" and monthdays:
        return f"{_every(unit, interval)} on the {_join([_monthday(d) for d in monthdays])}"
    if unit == "year" and months and monthdays:
        when = _join([f"{MONTH_NAMES[m - 1]} {d}" for m in months for d in monthdays])
        return f"{_every(unit, interval)} on {when}"
    if unit == "day" and days:
        return f"{_every(unit, interval)} on {_join([DAY_NAMES.get(d, d) for d in days])}"
    return _every(unit, interval)


def _nth_day(code: str) -> str:
    number, day = code[:-2], DAY_NAMES.get(code[-2:], code[-2:])
    if not number or number in ("+", "-"):
        return day
    return f"{_ordinal(int(number))} {day}"


def _monthday(n: int) -> str:
    return _ordinal(n) if n > 0 else f"{_ordinal(n)} day"


def _ordinal(n: int) -> str:
    if n == -1:
        return "last"
    if n < 0:
        return f"{_ordinal(-n)} to last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _time(parts: dict[str, str], dtstart: date | None) -> str:
    hours = parts.get("BYHOUR")
    if hours and "," not in hours:
        minute = int((parts.get("BYMINUTE") or "0").split(",")[0])
        return f" at {int(hours)}:{minute:02d}"
    if isinstance(dtstart, datetime):
        return f" at {dtstart.hour}:{dtstart.minute:02d}"
    return ""


def _end(parts: dict[str, str], dtstart: date | None) -> str:
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        return ", once" if count == 1 else f", {count} times"
    until = parts.get("UNTIL")
    if not until:
        return ""
    day = _until_day(until, dtstart)
    return f" until {MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


def _until_day(until: str, dtstart: date | None) -> date:
    if "T" not in until:
        return datetime.strptime(until[:8], "%Y%m%d").date()
    moment = datetime.strptime(until.rstrip("Z")[:15], "%Y%m%dT%H%M%S")
    if until.endswith("Z"):
        moment = moment.replace(tzinfo=UTC)
        if isinstance(dtstart, datetime) and dtstart.tzinfo is not None:
            moment = moment.astimezone(dtstart.tzinfo)
    return moment.date()


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
