"""Lines where nothing may be invented: no date, time or repeat, and every word kept."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from functions.todo.language import parse

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")

NEGATIVES = [
    "call Mayday Ltd",
    "read The Sun",
    "email Marcus",
    "buy a second monitor",
    "fix the may-be-null bug",
    "pay 3 invoices",
    "call 911",
    "book for Jan",  # a month without a day is no date
    "order 2 pizzas",
    "update v2.5 docs",
    "meet @ the office",
    "check p10 report",
    "#1 priority",
    "every single time I try",
    "watch Friday Night Lights",  # Capitalised words running on: a name, not a Friday
    "watch the Tonight Show",
    "sat on the couch",
    "plan the March for Science",
    "call Tom",
    "meet Jan at the office",
    "daily standup notes",
    "write the weekly report",
    "pick the 3rd option",
    "read chapter 12",
    "take 5 minutes to breathe",
    "write a 3 day plan",
    "buy 2024 calendar",
    "send feb 30 invoice",
    "pay 1/2 of the bill",
    "fix 1:1 layout",
    "review the morning routine doc",
    "sign up for the 5k",
    "rent a sun lounger",
    "watch Mad Men season 2",
    "eat the 2nd breakfast",
    "june bug spray",
    "wed planning with Anna",
    "the weekend warrior book",
    "sort socks in pairs",
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("text", NEGATIVES)
def test_nothing_is_invented(zone: str, text: str) -> None:
    now = datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo(zone))
    parsed = parse(text, now, zone)
    assert parsed.intent == "add"
    assert parsed.due is None
    assert parsed.recurrence is None
    assert parsed.reminder is None
    assert parsed.title == text
    assert [s for s in parsed.spans if s.kind in ("date", "time", "recurrence")] == []


@pytest.mark.parametrize(
    "text",
    ['watch "Friday Night Lights" tomorrow', "watch “Friday Night Lights” tomorrow"],
)
def test_quoted_text_is_title_text(text: str) -> None:
    now = datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo("UTC"))
    parsed = parse(text, now, "UTC")
    assert parsed.title == "watch Friday Night Lights"
    assert parsed.due is not None and parsed.due.date.isoformat() == "2026-03-11"
    assert [s.text for s in parsed.spans] == ["tomorrow"]
