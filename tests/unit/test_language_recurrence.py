"""Repeat phrases: RRULEs, the first due date they give, their bounds, and their English."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from functions.shared.recurrence import validate_recurrence
from functions.todo.language import describe_rrule, parse

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")


def now_in(zone: str, wall: str = "2026-03-10T14:00") -> datetime:
    return datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone))


RULES = [  # now: Tuesday 2026-03-10 14:00 local; (text, rrule, first due, time or None)
    ("meditate every day", "FREQ=DAILY", "2026-03-10", None),
    ("meditate daily", "FREQ=DAILY", "2026-03-10", None),
    ("meditate every morning", "FREQ=DAILY", "2026-03-11", "09:00"),
    ("meditate every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-03-10", None),
    ("meditate every weekday at 9am", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-03-11", "09:00"),
    ("meditate every mon, fri", "FREQ=WEEKLY;BYDAY=MO,FR", "2026-03-13", None),
    ("meditate every monday and wednesday", "FREQ=WEEKLY;BYDAY=MO,WE", "2026-03-11", None),
    ("meditate every other week", "FREQ=WEEKLY;INTERVAL=2", "2026-03-10", None),
    ("meditate every other monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "2026-03-16", None),
    ("meditate every 2 weeks on monday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "2026-03-16", None),
    ("meditate every 3 days", "FREQ=DAILY;INTERVAL=3", "2026-03-10", None),
    ("meditate every three days", "FREQ=DAILY;INTERVAL=3", "2026-03-10", None),
    ("meditate every 3rd friday", "FREQ=MONTHLY;BYDAY=+3FR", "2026-03-20", None),
    ("meditate every last friday", "FREQ=MONTHLY;BYDAY=-1FR", "2026-03-27", None),
    ("meditate every 27th", "FREQ=MONTHLY;BYMONTHDAY=27", "2026-03-27", None),
    ("meditate every 9th", "FREQ=MONTHLY;BYMONTHDAY=9", "2026-04-09", None),
    ("meditate every month on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15", "2026-03-15", None),
    (
        "meditate every 2 months on the 1st monday",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=+1MO",
        "2026-04-06",
        None,
    ),
    ("meditate every last day", "FREQ=MONTHLY;BYMONTHDAY=-1", "2026-03-31", None),
    ("meditate every monday at 9am", "FREQ=WEEKLY;BYDAY=MO", "2026-03-16", "09:00"),
    ("meditate every tuesday at 5pm", "FREQ=WEEKLY;BYDAY=TU", "2026-03-10", "17:00"),
    ("meditate every tuesday at 9am", "FREQ=WEEKLY;BYDAY=TU", "2026-03-17", "09:00"),
    ("meditate weekly", "FREQ=WEEKLY", "2026-03-10", None),
    ("meditate monthly", "FREQ=MONTHLY", "2026-03-10", None),
    ("meditate every year", "FREQ=YEARLY", "2026-03-10", None),
    ("meditate yearly", "FREQ=YEARLY", "2026-03-10", None),
    ("meditate every jan 27", "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=27", "2027-01-27", None),
    ("meditate ev monday", "FREQ=WEEKLY;BYDAY=MO", "2026-03-16", None),
    ("meditate each friday", "FREQ=WEEKLY;BYDAY=FR", "2026-03-13", None),
    ("meditate mondays and thursdays", "FREQ=WEEKLY;BYDAY=MO,TH", "2026-03-12", None),
    ("meditate on weekends", "FREQ=WEEKLY;BYDAY=SA,SU", "2026-03-14", None),
    ("meditate every monday starting jan 3", "FREQ=WEEKLY;BYDAY=MO", "2027-01-04", None),
    ("meditate every day 5pm starting tomorrow", "FREQ=DAILY", "2026-03-11", "17:00"),
    ("meditate every day for 5 times", "FREQ=DAILY;COUNT=5", "2026-03-10", None),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("text", "rule", "first", "wall"), RULES)
def test_recurrence(zone: str, text: str, rule: str, first: str, wall: str | None) -> None:
    parsed = parse(text, now_in(zone), zone)
    assert (parsed.intent, parsed.title) == ("add", "meditate")
    assert parsed.recurrence == rule
    assert validate_recurrence(parsed.recurrence) == rule  # the API takes it as it is
    assert parsed.due is not None
    assert parsed.due.date == date.fromisoformat(first)
    assert parsed.due.time == (None if wall is None else time.fromisoformat(wall))
    assert parsed.recur_from_completion is False


def _until(zone: str, last_day: str) -> str:
    end = datetime.fromisoformat(f"{last_day}T23:59:59").replace(tzinfo=ZoneInfo(zone))
    return end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@pytest.mark.parametrize("zone", ZONES)
def test_until_and_for_end_the_series_on_a_local_day(zone: str) -> None:
    until = parse("gym every monday until march 1", now_in(zone), zone)
    assert until.recurrence == f"FREQ=WEEKLY;BYDAY=MO;UNTIL={_until(zone, '2027-03-01')}"
    weeks = parse("gym every day for 3 weeks", now_in(zone), zone)  # Mar 10 .. Mar 30
    assert weeks.recurrence == f"FREQ=DAILY;UNTIL={_until(zone, '2026-03-30')}"
    start = weeks.due.moment(time(0))  # type: ignore[union-attr]
    series = list(rrulestr(weeks.recurrence, dtstart=start.astimezone(UTC)))
    assert len(series) == 21
    for parsed in (until, weeks):
        assert validate_recurrence(parsed.recurrence) == parsed.recurrence
        assert parsed.title == "gym"


@pytest.mark.parametrize("text", ["gym every! 3 days", "gym ev! monday", "gym every! week"])
def test_every_bang_repeats_from_completion(text: str) -> None:
    parsed = parse(text, now_in("Europe/Berlin"), "Europe/Berlin")
    assert parsed.recur_from_completion is True
    assert parsed.recurrence is not None and parsed.title == "gym"


def test_every_3rd_friday_is_the_third_friday_of_each_month() -> None:
    parsed = parse("book club every 3rd friday", now_in("UTC"), "UTC")
    assert parsed.recurrence == "FREQ=MONTHLY;BYDAY=+3FR"
    start = datetime.combine(parsed.due.date, time(0))  # type: ignore[union-attr]
    dates = [d.date() for d in rrulestr(parsed.recurrence, dtstart=start)[:4]]
    assert dates == [date(2026, 3, 20), date(2026, 4, 17), date(2026, 5, 15), date(2026, 6, 19)]


@pytest.mark.parametrize(
    ("text", "wall", "first"),
    [
        ("every 31st", "2027-02-10T10:00", "2027-03-31"),  # months without a 31st are skipped
        ("every last day", "2027-02-10T10:00", "2027-02-28"),
        ("every last day", "2028-02-10T10:00", "2028-02-29"),
        ("every 29th", "2027-02-10T10:00", "2027-03-29"),
        ("every feb 29", "2026-03-10T10:00", "2028-02-29"),
    ],
)
def test_month_ends(text: str, wall: str, first: str) -> None:
    parsed = parse(f"pay rent {text}", now_in("Europe/Berlin", wall), "Europe/Berlin")
    assert parsed.due is not None and parsed.due.date == date.fromisoformat(first)
    assert parsed.title == "pay rent"


def test_a_repeat_and_a_date_start_the_series_on_the_date() -> None:
    parsed = parse("water every 3 days from friday", now_in("UTC"), "UTC")
    assert parsed.recurrence == "FREQ=DAILY;INTERVAL=3"
    assert parsed.due is not None and parsed.due.date == date(2026, 3, 13)


DESCRIPTIONS = [
    ("FREQ=MONTHLY;BYDAY=+3FR", None, "every 3rd Friday"),
    ("FREQ=MONTHLY;BYDAY=-1FR", None, "every last Friday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", None, "every 2 weeks on Monday"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", datetime(2026, 3, 11, 9), "every weekday at 9:00"),
    ("FREQ=WEEKLY;BYDAY=MO,FR", None, "every Monday and Friday"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", None, "every Monday, Wednesday and Friday"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", None, "every month on the last day"),
    ("FREQ=MONTHLY;BYMONTHDAY=27", None, "every month on the 27th"),
    ("FREQ=DAILY;UNTIL=20270301T225959Z", None, "every day until Mar 1, 2027"),
    ("FREQ=DAILY;INTERVAL=3", None, "every 3 days"),
    ("FREQ=DAILY;COUNT=5", None, "every day, 5 times"),
    ("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=27", None, "every year on Jan 27"),
    ("RRULE:FREQ=WEEKLY", date(2026, 3, 10), "every week"),
    ("weekly", None, "every week"),
    ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=17;BYMINUTE=30", None, "every Monday at 17:30"),
]


@pytest.mark.parametrize(("rule", "start", "expected"), DESCRIPTIONS)
def test_describe_rrule(rule: str, start: date | None, expected: str) -> None:
    assert describe_rrule(rule, start) == expected


def test_describe_rrule_shows_until_in_the_start_zone() -> None:
    start = datetime(2026, 3, 10, 9, tzinfo=ZoneInfo("Pacific/Auckland"))
    rule = "FREQ=DAILY;UNTIL=20270301T105959Z"  # Mar 1 23:59:59 in Auckland
    assert describe_rrule(rule, start) == "every day at 9:00 until Mar 1, 2027"
    assert describe_rrule(rule) == "every day until Mar 1, 2027"


def test_describe_rrule_refuses_what_is_no_rule() -> None:
    with pytest.raises(ValueError):
        describe_rrule("every now and then")
