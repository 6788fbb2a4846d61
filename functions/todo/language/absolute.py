"""Calendar dates written out (``jan 27``, ``27th of January``, ``2027-01-27``).

Our grammar picks the candidate span; dateparser only confirms that span (English only,
day and month required, future preferred, relative to the user's today in their zone). It
never scans free text. A date without a year is the next one on or after today: ``mar 10``
said on March 10 is today, and ``feb 29`` is the next leap day.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from functools import lru_cache


def resolve(text: str, today: date, timezone: str, explicit_year: bool) -> date | None:
    """The date ``text`` names, or None when dateparser does not confirm it."""
    confirmed = _confirm(" ".join(text.lower().split()), today, timezone)
    if confirmed is None:
        return None
    if explicit_year:
        return confirmed
    return next_on_or_after(today, confirmed.month, confirmed.day)


def next_on_or_after(today: date, month: int, day: int) -> date | None:
    for year in range(today.year, today.year + 9):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    return None


@lru_cache(maxsize=512)
def _confirm(text: str, today: date, timezone: str) -> date | None:
    import dateparser  # imported on first use: it costs ~0.1 s, most lines need no calendar

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
        "REQUIRE_PARTS": ["day", "month"],
        "TIMEZONE": timezone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PARSERS": ["absolute-time"],
        "DATE_ORDER": "DMY",
    }
    found = dateparser.parse(text, languages=["en"], settings=settings)
    return None if found is None else found.date()


def warm_up() -> None:
    """Load dateparser's tables now, so the first keystroke preview is not the slow one."""
    _confirm("jan 2", date(2000, 1, 1), "UTC")
