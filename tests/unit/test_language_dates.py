"""Dates in the language parser: calendar dates, relative words, offsets, month ends, zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.todo.language import Due, parse

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
TUESDAY = "2026-03-10T14:00"  # the fixed "now" of every golden table: Tuesday, 14:00 local


def now_in(zone: str, wall: str = TUESDAY) -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone))


def day(iso: str) -> date:
    return date.fromisoformat(iso)


ABSOLUTE = [
    ("pay rent jan 27", "2027-01-27", "pay rent"),
    ("pay rent 27 jan", "2027-01-27", "pay rent"),
    ("pay rent January 27th", "2027-01-27", "pay rent"),
    ("pay rent 27th of January", "2027-01-27", "pay rent"),
    ("pay rent 2027-01-27", "2027-01-27", "pay rent"),
    ("pay rent on jan 27, 2028", "2028-01-27", "pay rent"),
    ("pay rent the 27th", "2026-03-27", "pay rent"),
    ("pay rent on the 27th", "2026-03-27", "pay rent"),
    ("pay rent on the 9th", "2026-04-09", "pay rent"),
    ("dentist mar 10", "2026-03-10", "dentist"),
    ("dentist march 9", "2027-03-09", "dentist"),
    ("party feb 29", "2028-02-29", "party"),
    ("Dentist Sept 3rd", "2026-09-03", "Dentist"),
    ("due by apr 1 file taxes", "2026-04-01", "file taxes"),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("text", "expected", "title"), ABSOLUTE)
def test_absolute_dates(zone: str, text: str, expected: str, title: str) -> None:
    parsed = parse(text, now_in(zone), zone)
    assert parsed.intent == "add"
    assert parsed.due == Due(day(expected), None, zone)
    assert parsed.title == title
    assert parsed.recurrence is None


RELATIVE = [
    ("call mom today", "2026-03-10"),
    ("call mom tod", "2026-03-10"),
    ("call mom tomorrow", "2026-03-11"),
    ("call mom tom", "2026-03-11"),
    ("call mom the day after tomorrow", "2026-03-12"),
    ("call mom friday", "2026-03-13"),
    ("call mom fri", "2026-03-13"),
    ("call mom on Friday", "2026-03-13"),
    ("call mom tuesday", "2026-03-17"),  # today is Tuesday: a weekday name means the next one
    ("call mom this tuesday", "2026-03-10"),
    ("call mom this friday", "2026-03-13"),
    ("call mom next friday", "2026-03-20"),  # the Friday of next week
    ("call mom next monday", "2026-03-16"),
    ("call mom on sat", "2026-03-14"),
    ("call mom next week", "2026-03-16"),
    ("call mom next month", "2026-04-01"),
    ("call mom next year", "2027-01-01"),
    ("call mom this weekend", "2026-03-14"),
    ("call mom next weekend", "2026-03-21"),
    ("call mom end of month", "2026-03-31"),
    ("call mom by the end of the month", "2026-03-31"),
    ("call mom end of next month", "2026-04-30"),
    ("call mom eom", "2026-03-31"),
    ("call mom mid january", "2027-01-15"),
    ("call mom mid-april", "2026-04-15"),
    ("call mom mid month", "2026-03-15"),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("text", "expected"), RELATIVE)
def test_relative_dates(zone: str, text: str, expected: str) -> None:
    parsed = parse(text, now_in(zone), zone)
    assert (parsed.intent, parsed.title) == ("add", "call mom")
    assert parsed.due == Due(day(expected), None, zone)


def test_weekday_names_on_the_day_itself() -> None:
    friday = now_in("Europe/Berlin", "2026-03-13T08:00")
    due = {
        text: parse(f"x {text}", friday, "Europe/Berlin").due for text in ("friday", "this friday")
    }
    assert due["friday"].date == day("2026-03-20")
    assert due["this friday"].date == day("2026-03-13")


DAY_OFFSETS = [
    ("water plants in 3 days", "2026-03-13"),
    ("water plants +3d", "2026-03-13"),
    ("water plants in 2 weeks", "2026-03-24"),
    ("water plants in a week", "2026-03-17"),
    ("water plants in 1 month", "2026-04-10"),
    ("water plants 2 days from now", "2026-03-12"),
    ("water plants +1w", "2026-03-17"),
]
TIME_OFFSETS = [
    ("water plants in 2 hours", timedelta(hours=2)),
    ("water plants +2h", timedelta(hours=2)),
    ("water plants in 30 min", timedelta(minutes=30)),
    ("water plants in 45 minutes", timedelta(minutes=45)),
    ("water plants in half an hour", timedelta(minutes=30)),
    ("water plants in 36 hours", timedelta(hours=36)),
]


@pytest.mark.parametrize("zone", ZONES)
def test_offsets(zone: str) -> None:
    now = now_in(zone)
    for text, expected in DAY_OFFSETS:
        parsed = parse(text, now, zone)
        assert (parsed.title, parsed.due) == ("water plants", Due(day(expected), None, zone)), text
    for text, elapsed in TIME_OFFSETS:
        parsed = parse(text, now, zone)
        assert parsed.title == "water plants", text
        assert parsed.due is not None, text
        assert parsed.due.moment().astimezone(UTC) == now.astimezone(UTC) + elapsed, text


def test_an_hour_offset_counts_elapsed_time_across_the_spring_forward_gap() -> None:
    before_gap = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    parsed = parse("check heating in 2 hours", before_gap, "Europe/Berlin")
    assert parsed.due is not None
    assert parsed.due.moment().isoformat() == "2026-03-29T04:30:00+02:00"
    assert parsed.due.moment().astimezone(UTC) - before_gap.astimezone(UTC) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ("2027-01-31T10:00", "2027-01-31"),  # the last day is today
        ("2028-02-10T10:00", "2028-02-29"),  # leap year
        ("2027-02-10T10:00", "2027-02-28"),
        ("2026-04-30T23:00", "2026-04-30"),
    ],
)
def test_end_of_month(wall: str, expected: str) -> None:
    parsed = parse("close the books end of month", now_in("Europe/Berlin", wall), "Europe/Berlin")
    assert parsed.due == Due(day(expected), None, "Europe/Berlin")
    assert parsed.title == "close the books"


def test_a_month_offset_from_the_31st_stops_at_the_month_end() -> None:
    parsed = parse("renew in 1 month", now_in("UTC", "2027-01-31T09:00"), "UTC")
    assert parsed.due == Due(day("2027-02-28"), None, "UTC")


def test_a_date_only_due_stays_a_date_whatever_the_zone() -> None:
    instant = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # Wednesday 09:00 in Auckland
    auckland = parse("pay rent tomorrow", instant, "Pacific/Auckland")
    los_angeles = parse("pay rent tomorrow", instant, "America/Los_Angeles")  # Tuesday 13:00
    assert auckland.due == Due(day("2026-03-12"), None, "Pacific/Auckland")
    assert los_angeles.due == Due(day("2026-03-11"), None, "America/Los_Angeles")
    for parsed in (auckland, los_angeles):
        assert parsed.due is not None and parsed.due.all_day
        assert parsed.due.moment() is None
        assert parsed.to_dict()["due"]["datetime"] is None
    fixed = [
        parse("pay rent jan 27", instant, z).to_dict()["due"]
        for z in ("Pacific/Auckland", "America/Los_Angeles")
    ]
    assert [d["date"] for d in fixed] == ["2027-01-27", "2027-01-27"]
    assert [d["time"] for d in fixed] == [None, None]


def test_an_all_day_due_takes_a_default_time_only_when_asked() -> None:
    due = parse("pay rent jan 27", now_in("Asia/Kolkata"), "Asia/Kolkata").due
    assert due is not None and due.moment() is None
    assert due.moment(time(9)).isoformat() == "2027-01-27T09:00:00+05:30"
