"""Recurrence maths: month ends, DST in local wall time, RRULEs, COUNT/UNTIL, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from functions.shared.recurrence import next_occurrence, validate_recurrence

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


# --- monthly: clamp to the month's end, come back to the start's day -----------------------


def test_monthly_from_jan_31_clamps_and_recovers_through_a_year() -> None:
    start = datetime(2027, 1, 31, 9, tzinfo=BERLIN)
    due, seen = start, []
    for number in range(1, 14):
        due = next_occurrence(
            "monthly", due, tz="Europe/Berlin", series_start=start, occurrence=number
        )
        seen.append(due.isoformat())
    assert seen == [
        "2027-02-28T09:00:00+01:00",
        "2027-03-31T09:00:00+02:00",
        "2027-04-30T09:00:00+02:00",
        "2027-05-31T09:00:00+02:00",
        "2027-06-30T09:00:00+02:00",
        "2027-07-31T09:00:00+02:00",
        "2027-08-31T09:00:00+02:00",
        "2027-09-30T09:00:00+02:00",
        "2027-10-31T09:00:00+01:00",
        "2027-11-30T09:00:00+01:00",
        "2027-12-31T09:00:00+01:00",
        "2028-01-31T09:00:00+01:00",
        "2028-02-29T09:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("start", "due", "expected"),
    [
        ("2028-01-31T09:00+00:00", "2028-01-31T09:00+00:00", "2028-02-29T09:00:00+00:00"),
        ("2028-01-30T09:00+00:00", "2028-01-30T09:00+00:00", "2028-02-29T09:00:00+00:00"),
        ("2027-01-29T09:00+00:00", "2027-01-29T09:00+00:00", "2027-02-28T09:00:00+00:00"),
        ("2027-01-31T09:00+00:00", "2027-02-28T09:00+00:00", "2027-03-31T09:00:00+00:00"),
        ("2028-01-31T09:00+00:00", "2028-02-29T09:00+00:00", "2028-03-31T09:00:00+00:00"),
        ("2027-01-15T09:00+00:00", "2027-01-15T09:00+00:00", "2027-02-15T09:00:00+00:00"),
        ("2027-12-31T09:00+00:00", "2027-12-31T09:00+00:00", "2028-01-31T09:00:00+00:00"),
    ],
)
def test_monthly_keeps_the_series_day_of_month(start: str, due: str, expected: str) -> None:
    assert next_occurrence("monthly", at(due), series_start=at(start)).isoformat() == expected


def test_monthly_without_series_start_anchors_on_due() -> None:
    due = at("2027-02-28T09:00+00:00")
    assert next_occurrence("monthly", due).isoformat() == "2027-03-28T09:00:00+00:00"


def test_monthly_rrule_follows_rfc_5545_and_skips_short_months() -> None:
    due = at("2027-01-31T09:00+00:00")
    assert next_occurrence("FREQ=MONTHLY", due).isoformat() == "2027-03-31T09:00:00+00:00"


# --- DST: the rule runs in local wall time ------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "tz", "due_utc", "expected"),
    [
        ("daily", "Europe/Berlin", "2027-03-27T08:00Z", "2027-03-28T09:00:00+02:00"),
        ("daily", "Europe/Berlin", "2027-10-30T07:00Z", "2027-10-31T09:00:00+01:00"),
        ("weekly", "Europe/Berlin", "2027-03-22T08:00Z", "2027-03-29T09:00:00+02:00"),
        ("weekly", "Europe/Berlin", "2027-10-25T07:00Z", "2027-11-01T09:00:00+01:00"),
        ("daily", "America/New_York", "2027-03-13T14:00Z", "2027-03-14T09:00:00-04:00"),
        ("daily", "America/New_York", "2027-11-06T13:00Z", "2027-11-07T09:00:00-05:00"),
        ("weekly", "America/New_York", "2027-03-10T14:00Z", "2027-03-17T09:00:00-04:00"),
        ("weekly", "America/New_York", "2027-11-03T13:00Z", "2027-11-10T09:00:00-05:00"),
    ],
)
def test_daily_and_weekly_keep_local_time_across_dst(
    recurrence: str, tz: str, due_utc: str, expected: str
) -> None:
    result = next_occurrence(recurrence, at(due_utc), tz=tz)
    assert result.isoformat() == expected
    assert result.tzinfo == ZoneInfo(tz)


def test_without_tz_the_fixed_offset_of_due_is_kept() -> None:
    due = datetime(2027, 3, 27, 9, tzinfo=timezone(timedelta(hours=1)))
    assert next_occurrence("daily", due).isoformat() == "2027-03-28T09:00:00+01:00"


def test_without_tz_a_zoneinfo_due_is_evaluated_in_that_zone() -> None:
    due = datetime(2027, 3, 27, 9, tzinfo=BERLIN)
    assert next_occurrence("daily", due).isoformat() == "2027-03-28T09:00:00+02:00"


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (datetime(2027, 3, 27, 2, 30, tzinfo=BERLIN), "2027-03-28T03:30:00+02:00"),
        (datetime(2027, 3, 28, 3, 30, tzinfo=BERLIN), "2027-03-29T02:30:00+02:00"),
    ],
)
def test_wall_time_in_dst_gap_moves_forward_without_drifting(due: datetime, expected: str) -> None:
    start = datetime(2027, 3, 27, 2, 30, tzinfo=BERLIN)
    result = next_occurrence("daily", due, tz="Europe/Berlin", series_start=start)
    assert result.isoformat() == expected


# --- RRULE strings, COUNT and UNTIL -----------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "due", "expected"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "2027-01-08T09:00", "2027-01-11T09:00:00+01:00"),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "2027-01-11T09:00", "2027-01-13T09:00:00+01:00"),
        ("RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR", "2027-03-26T09:00", "2027-03-29T09:00:00+02:00"),
        ("FREQ=DAILY;INTERVAL=2", "2027-10-30T09:00", "2027-11-01T09:00:00+01:00"),
        ("FREQ=YEARLY", "2027-06-01T09:00", "2028-06-01T09:00:00+02:00"),
    ],
)
def test_rrule_in_local_wall_time(recurrence: str, due: str, expected: str) -> None:
    result = next_occurrence(recurrence, at(due).replace(tzinfo=BERLIN), tz="Europe/Berlin")
    assert result.isoformat() == expected


@pytest.mark.parametrize(
    ("occurrence", "expected"),
    [(1, "2027-01-02T09:00:00+00:00"), (4, "2027-01-02T09:00:00+00:00"), (5, None), (6, None)],
)
def test_count_is_exhausted_by_the_completed_occurrence(
    occurrence: int, expected: str | None
) -> None:
    result = next_occurrence(
        "FREQ=DAILY;COUNT=5", at("2027-01-01T09:00+00:00"), occurrence=occurrence
    )
    assert (result and result.isoformat()) == expected


def test_count_is_also_counted_from_series_start() -> None:
    start = at("2027-01-01T09:00+00:00")
    fourth, fifth = start + timedelta(days=3), start + timedelta(days=4)
    last = next_occurrence("FREQ=DAILY;COUNT=5", fourth, series_start=start)
    assert last.isoformat() == "2027-01-05T09:00:00+00:00"
    assert next_occurrence("FREQ=DAILY;COUNT=5", fifth, series_start=start) is None


@pytest.mark.parametrize(
    ("recurrence", "due", "expected"),
    [
        ("FREQ=MONTHLY;UNTIL=20270101T000000Z", "2026-11-15T09:00", "2026-12-15T09:00:00+01:00"),
        ("FREQ=MONTHLY;UNTIL=20270101T000000Z", "2026-12-15T09:00", None),
        ("FREQ=DAILY;UNTIL=20270105T080000Z", "2027-01-04T09:00", "2027-01-05T09:00:00+01:00"),
        ("FREQ=DAILY;UNTIL=20270105T075959Z", "2027-01-04T09:00", None),
    ],
)
def test_until_is_inclusive_and_ends_the_series(
    recurrence: str, due: str, expected: str | None
) -> None:
    result = next_occurrence(recurrence, at(due).replace(tzinfo=BERLIN), tz="Europe/Berlin")
    assert (result and result.isoformat()) == expected


def test_next_is_computed_from_the_original_due_not_the_completion_time() -> None:
    due = datetime(2027, 1, 4, 9, tzinfo=BERLIN)  # completed late, on 2027-01-06 18:00
    assert next_occurrence("daily", due).isoformat() == "2027-01-05T09:00:00+01:00"


def test_result_is_strictly_after_due_and_keeps_microseconds() -> None:
    due = datetime(2027, 1, 1, 9, 0, 0, 250_000, tzinfo=UTC)
    assert next_occurrence("daily", due).isoformat() == "2027-01-02T09:00:00.250000+00:00"


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("daily", "daily"),
        (" Weekly ", "weekly"),
        ("MONTHLY", "monthly"),
        ("RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        ("freq=daily;count=5", "FREQ=DAILY;COUNT=5"),
        ("FREQ=MONTHLY;UNTIL=20270101T000000Z", "FREQ=MONTHLY;UNTIL=20270101T000000Z"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
    ],
)
def test_validate_normalises(value: str | None, expected: str | None) -> None:
    assert validate_recurrence(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("DTSTART:20270101T090000Z\nRRULE:FREQ=DAILY", "DTSTART is not allowed"),
        ("FREQ=DAILY;DTSTART=20270101T090000Z", "DTSTART is not allowed"),
        ("FREQ=FORTNIGHTLY", "unknown FREQ 'FORTNIGHTLY'"),
        ("FREQ=HOURLY", "unknown FREQ 'HOURLY'"),
        ("BYDAY=MO", "must contain FREQ"),
        ("every tuesday", "neither daily, weekly, monthly nor an RRULE"),
        ("RRULE:", "neither daily, weekly, monthly nor an RRULE"),
        ("FREQ=DAILY;", "neither daily, weekly, monthly nor an RRULE"),
        ("FREQ=DAILY\nEXDATE:20270102T090000Z", "neither daily, weekly, monthly nor an RRULE"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ appears more than once"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a positive integer"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be a positive integer"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", "both COUNT and UNTIL"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid RRULE"),
        ("FREQ=DAILY;BYHOUR=25", "invalid RRULE"),
        ("FREQ=DAILY;FOO=1", "invalid RRULE"),
        ("FREQ=DAILY;UNTIL=20270101T000000", "UNTIL values must be specified in UTC"),
        (42, "must be a string"),
    ],
)
def test_validate_rejects(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_recurrence(value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"due": datetime(2027, 1, 1, 9)}, "due must be timezone-aware"),
        ({"series_start": datetime(2027, 1, 1, 9)}, "series_start must be timezone-aware"),
        ({"tz": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"occurrence": 0}, "1-based"),
        ({"recurrence": "FREQ=SECONDLY"}, "unknown FREQ"),
    ],
)
def test_next_occurrence_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    call = {"recurrence": "daily", "due": datetime(2027, 1, 1, 9, tzinfo=UTC)} | kwargs
    with pytest.raises(ValueError, match=message):
        next_occurrence(**call)  # type: ignore[arg-type]


def test_a_rule_that_never_occurs_is_refused_quickly() -> None:
    with pytest.raises(ValueError, match="never produces a date"):
        validate_recurrence("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
