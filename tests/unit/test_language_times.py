"""Times of day: clock times, words, date + time, a passed time means tomorrow, DST edges."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from functions.shared.recurrence import next_occurrence
from functions.todo.language import Due, parse

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")


def now_in(zone: str, wall: str = "2026-03-10T14:00") -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone))


TIMES = [  # now: Tuesday 2026-03-10 14:00 local
    ("call bob 5pm", "2026-03-10", "17:00"),
    ("call bob 5 pm", "2026-03-10", "17:00"),
    ("call bob 5:30pm", "2026-03-10", "17:30"),
    ("call bob 9:15 a.m.", "2026-03-11", "09:15"),
    ("call bob 17:30", "2026-03-10", "17:30"),
    ("call bob 05:30", "2026-03-11", "05:30"),  # a leading zero reads as a 24-hour clock
    ("call bob at 9", "2026-03-11", "09:00"),
    ("call bob at 5", "2026-03-10", "17:00"),  # 1-6 without am/pm: afternoon
    ("call bob at 9 o'clock", "2026-03-11", "09:00"),
    ("call bob @5pm", "2026-03-10", "17:00"),
    ("call bob at 12am", "2026-03-11", "00:00"),
    ("call bob at noon", "2026-03-11", "12:00"),
    ("call bob at midnight", "2026-03-10", "23:59"),
    ("call bob tonight", "2026-03-10", "20:00"),
    ("call bob this morning", "2026-03-10", "09:00"),
    ("call bob in the evening", "2026-03-10", "19:00"),
    ("call bob tomorrow morning", "2026-03-11", "09:00"),
    ("call bob tomorrow afternoon", "2026-03-11", "15:00"),
    ("call bob friday evening", "2026-03-13", "19:00"),
    ("call bob tomorrow night", "2026-03-11", "20:00"),
    ("call bob tomorrow 5pm", "2026-03-11", "17:00"),
    ("call bob 5pm tomorrow", "2026-03-11", "17:00"),
    ("call bob tomorrow at 5pm", "2026-03-11", "17:00"),
    ("call bob jan 27 at 17:30", "2027-01-27", "17:30"),
    ("call bob at 17:30 on jan 27", "2027-01-27", "17:30"),
    ("call bob by 5pm", "2026-03-10", "17:00"),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("text", "day", "wall"), TIMES)
def test_times(zone: str, text: str, day: str, wall: str) -> None:
    parsed = parse(text, now_in(zone), zone)
    assert parsed.title == "call bob"
    assert parsed.due == Due(date.fromisoformat(day), time.fromisoformat(wall), zone)
    assert parsed.due.moment().utcoffset() == ZoneInfo(zone).utcoffset(parsed.due.moment())


@pytest.mark.parametrize(
    ("text", "title", "due"),
    [
        ("movie night friday", "movie night", Due(date(2026, 3, 13), None, "UTC")),
        ("morning run tomorrow", "morning run", Due(date(2026, 3, 11), None, "UTC")),
        ("friday night movie", "movie", Due(date(2026, 3, 13), time(20), "UTC")),
    ],
)
def test_a_part_of_day_word_needs_a_date_right_before_it(text: str, title: str, due: Due) -> None:
    parsed = parse(text, now_in("UTC"), "UTC")
    assert (parsed.title, parsed.due) == (title, due)


@pytest.mark.parametrize("zone", ZONES)
def test_a_time_already_passed_today_means_tomorrow(zone: str) -> None:
    evening = now_in(zone, "2026-03-10T18:00")
    due = {text: parse(f"feed cat {text}", evening, zone).due for text in ("5pm", "17:59", "6pm")}
    assert due["5pm"] == Due(date(2026, 3, 11), time(17), zone)
    assert due["17:59"] == Due(date(2026, 3, 11), time(17, 59), zone)
    assert due["6pm"] == Due(date(2026, 3, 10), time(18), zone)  # this very minute: still today


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        ("Europe/Berlin", "2026-03-28T12:00", "2026-03-29T03:30:00+02:00"),
        ("America/New_York", "2026-03-07T12:00", "2026-03-08T03:30:00-04:00"),
    ],
)
def test_a_time_in_the_spring_forward_gap_moves_forward(
    zone: str, wall: str, expected: str
) -> None:
    parsed = parse("take pills tomorrow 2:30am", now_in(zone, wall), zone)
    assert parsed.due is not None
    assert parsed.due.moment().isoformat() == expected
    assert parsed.due.time == time(3, 30)


@pytest.mark.parametrize(
    ("zone", "wall", "text", "expected"),
    [
        ("Europe/Berlin", "2026-10-24T12:00", "tomorrow 2:30am", "2026-10-25T02:30:00+02:00"),
        ("America/New_York", "2026-10-31T12:00", "tomorrow 1:30am", "2026-11-01T01:30:00-04:00"),
    ],
)
def test_an_ambiguous_time_in_the_autumn_overlap_takes_the_first(
    zone: str, wall: str, text: str, expected: str
) -> None:
    parsed = parse(f"take pills {text}", now_in(zone, wall), zone)
    assert parsed.due is not None and parsed.due.moment().isoformat() == expected


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        ("Europe/Berlin", "2026-03-27T12:00", ["2026-03-28T09:00:00+01:00",
                                               "2026-03-29T09:00:00+02:00",
                                               "2026-03-30T09:00:00+02:00"]),
        ("Europe/Berlin", "2026-03-28T10:00", ["2026-03-29T09:00:00+02:00",
                                               "2026-03-30T09:00:00+02:00",
                                               "2026-03-31T09:00:00+02:00"]),
        ("America/New_York", "2026-03-06T12:00", ["2026-03-07T09:00:00-05:00",
                                                  "2026-03-08T09:00:00-04:00",
                                                  "2026-03-09T09:00:00-04:00"]),
        ("Europe/Berlin", "2026-10-23T10:00", ["2026-10-24T09:00:00+02:00",
                                               "2026-10-25T09:00:00+01:00",
                                               "2026-10-26T09:00:00+01:00"]),
    ],
)  # fmt: skip
def test_every_day_at_9am_keeps_9_local_across_dst(
    zone: str, wall: str, expected: list[str]
) -> None:
    parsed = parse("standup every day at 9am", now_in(zone, wall), zone)
    assert parsed.recurrence == "FREQ=DAILY"
    assert parsed.due is not None
    start = parsed.due.moment()
    second = next_occurrence(parsed.recurrence, start, tz=zone)
    third = next_occurrence(parsed.recurrence, second, tz=zone, series_start=start, occurrence=2)
    assert [m.isoformat() for m in (start, second, third)] == expected
