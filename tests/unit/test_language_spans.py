"""Spans: what was understood, where in the original text; ignored ranges; never-raising."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.todo.language import Due, parse

ZONE = "Europe/Berlin"
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo(ZONE))


def spans(text: str, **kwargs: object) -> list[tuple[int, int, str, str]]:
    parsed = parse(text, NOW, ZONE, **kwargs)  # type: ignore[arg-type]
    return [(s.start, s.end, s.kind, s.text) for s in parsed.spans]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Add task: Buy groceries tomorrow 5pm #home p1",
            [(0, 8, "intent", "Add task"), (24, 32, "date", "tomorrow"), (33, 36, "time", "5pm"),
             (37, 42, "tag", "#home"), (43, 45, "priority", "p1")],
        ),
        (
            "standup every weekday at 9am until march 1",
            [(8, 21, "recurrence", "every weekday"), (22, 28, "time", "at 9am"),
             (29, 42, "recurrence", "until march 1")],
        ),
        (
            "move 2 to friday",
            [(0, 4, "intent", "move"), (7, 9, "intent", "to"), (10, 16, "date", "friday")],
        ),
        (
            "call mom friday 5pm remind me 30 min before",
            [(9, 15, "date", "friday"), (16, 19, "time", "5pm"),
             (20, 43, "reminder", "remind me 30 min before")],
        ),
        (
            "  what's due   this week",
            [(2, 8, "intent", "what's"), (9, 24, "date", "due   this week")],
        ),
        (
            "remind me about task 42 in 1 hour",
            [(0, 15, "intent", "remind me about"), (24, 33, "reminder", "in 1 hour")],
        ),
        ("pay rent ON THE 27TH", [(9, 20, "date", "ON THE 27TH")]),
    ],
)  # fmt: skip
def test_spans_index_the_original_text(text: str, expected: list) -> None:
    assert spans(text) == expected
    for start, end, _, piece in expected:
        assert text[start:end] == piece


def test_span_values_are_json_ready() -> None:
    parsed = parse("Buy groceries tomorrow 5pm every monday #home p1", NOW, ZONE)
    values = {s.kind: s.value for s in parsed.spans}
    assert values == {
        "date": "2026-03-11",
        "time": "17:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=MO",
        "tag": "home",
        "priority": "high",
    }
    assert json.loads(json.dumps(parsed.to_dict()))["spans"][0]["value"] == "2026-03-11"


def test_an_ignored_span_stays_title_text() -> None:
    text = "Buy milk tomorrow 5pm"
    first = parse(text, NOW, ZONE)
    tomorrow = next(s for s in first.spans if s.kind == "date")
    kept = parse(text, NOW, ZONE, ignore=[(tomorrow.start, tomorrow.end)])
    assert kept.title == "Buy milk tomorrow"
    assert kept.due == Due(NOW.date(), first.due.time, ZONE)  # type: ignore[union-attr]
    assert [s.text for s in kept.spans] == ["5pm"]


def test_ignoring_a_command_word_makes_the_line_a_task() -> None:
    parsed = parse("delete old photos friday", NOW, ZONE, ignore=[(0, 6)])
    assert (parsed.intent, parsed.title) == ("add", "delete old photos")
    assert parsed.due is not None and parsed.due.date.isoformat() == "2026-03-13"


def test_ignore_ranges_outside_the_text_are_clipped() -> None:
    parsed = parse("buy milk tomorrow", NOW, ZONE, ignore=[(-5, 2), (9, 400), (7, 3)])
    assert (parsed.title, parsed.due, parsed.spans) == ("buy milk tomorrow", None, ())


VOCABULARY = (
    "every ev ev! every! the on at by to for until starting from next this mon sat sun friday "
    "jan may 27th 31st 3rd last day week month year weekday in 3 days 2 hours +3d +2h p1 p4 "
    "#a @b \" “ ” remind me about mark as done rename move postpone complete show list what's "
    "due today tomorrow tom morning night noon midnight 5pm 17:30 9 2027-01-27 feb 29 other "
    "2nd times , . ! ? : - task 42 of Friday Night"
).split(" ")
LINES = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(VOCABULARY), max_size=10).map(" ".join),
)
RANGES = st.lists(st.tuples(st.integers(-3, 70), st.integers(-3, 70)), max_size=3)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(text=LINES, ignore=RANGES, zone=st.sampled_from(["UTC", "Pacific/Auckland", ZONE]))
def test_parse_never_raises_and_spans_never_overlap(text: str, ignore: list, zone: str) -> None:
    parsed = parse(text, NOW, zone, ignore=ignore)
    end = 0
    for span in parsed.spans:
        assert end <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        end = span.end
    json.dumps(parsed.to_dict())
