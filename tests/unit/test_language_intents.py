"""Which command a line is, and what it refers to: one test per intent."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.todo.language import Due, Query, Reminder, Shift, parse

ZONE = "Europe/Berlin"
NOW = datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo(ZONE))  # Tuesday


def at(day: str, wall: str | None = None) -> Due:
    return Due(date.fromisoformat(day), None if wall is None else time.fromisoformat(wall), ZONE)


def aware(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(ZONE))


ADDS = [
    ("Add task: Buy groceries tomorrow 5pm #home p1", "Buy groceries", at("2026-03-11", "17:00")),
    ("add buy milk", "buy milk", None),
    ("buy milk tomorrow", "buy milk", at("2026-03-11")),
    ("new task call the bank friday", "call the bank", at("2026-03-13")),
    ("create task: file taxes", "file taxes", None),
    ("create a presentation", "create a presentation", None),
    ("remember to water plants", "water plants", None),
    ("please add milk", "milk", None),
    ("todo: buy stamps", "buy stamps", None),
    ("move couch to garage", "move couch to garage", None),  # move without a date: a task
    ("add finish the report", "finish the report", None),
    ("finish report by friday #work", "finish report", at("2026-03-13")),  # a verb + a date
    ("please delete old photos tomorrow", "delete old photos", at("2026-03-11")),
]


@pytest.mark.parametrize(("text", "title", "due"), ADDS)
def test_add(text: str, title: str, due: Due | None) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.title, parsed.due, parsed.target) == ("add", title, due, None)


def test_add_collects_every_part() -> None:
    parsed = parse("Add task: Buy groceries tomorrow 5pm #home p1", NOW, ZONE)
    assert (parsed.priority, parsed.tags) == ("high", ("home",))


LISTS = [
    ("what's due this week", Query(window="this week", due_from=date(2026, 3, 9),
                                   due_to=date(2026, 3, 16))),
    ("what is due today", Query(window="today", due_from=date(2026, 3, 10),
                                due_to=date(2026, 3, 11))),
    ("show overdue", Query(status="pending", overdue=True, window="overdue")),
    ("list pending", Query(status="pending")),
    ("show my tasks", Query()),
    ("show completed", Query(status="complete")),
    ("what's on tomorrow", Query(window="tomorrow", due_from=date(2026, 3, 11),
                                 due_to=date(2026, 3, 12))),
    ("show #home", Query(tags=("home",))),
    ("list p1", Query(priority="high")),
    ("show high priority tasks", Query(priority="high")),
    ("what's due next week", Query(window="next week", due_from=date(2026, 3, 16),
                                   due_to=date(2026, 3, 23))),
    ("show tasks due this month", Query(window="this month", due_from=date(2026, 3, 1),
                                        due_to=date(2026, 4, 1))),
    ("show pending tasks about taxes", Query(status="pending", text="taxes")),
    ("list open #work tasks due friday", Query(status="pending", tags=("work",), window="friday",
                                              due_from=date(2026, 3, 13),
                                              due_to=date(2026, 3, 14))),
    ("do I have anything due tomorrow?", Query(window="tomorrow", due_from=date(2026, 3, 11),
                                               due_to=date(2026, 3, 12))),
    ("today", Query(window="today", due_from=date(2026, 3, 10), due_to=date(2026, 3, 11))),
    ("#errands", Query(tags=("errands",))),
    ("anything due today?", Query(window="today", due_from=date(2026, 3, 10),
                                  due_to=date(2026, 3, 11))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "query"), LISTS)
def test_list(text: str, query: Query) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.query, parsed.due) == ("list", query, None)


def test_list_windows_seen_on_a_sunday() -> None:
    sunday = datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo(ZONE))
    weekend = parse("show this weekend", sunday, ZONE).query
    week = parse("what's due this week", sunday, ZONE).query
    assert (weekend.due_from, weekend.due_to) == (date(2026, 3, 15), date(2026, 3, 16))  # type: ignore[union-attr]
    assert (week.due_from, week.due_to) == (date(2026, 3, 9), date(2026, 3, 16))  # type: ignore[union-attr]


def _target(text: str) -> tuple[str, dict | None]:
    parsed = parse(text, NOW, ZONE)
    return parsed.intent, parsed.target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("complete 2", {"number": 2}),
        ("done 2", {"number": 2}),
        ("Done #3.", {"number": 3}),
        ("mark buy milk as done", {"title": "buy milk"}),
        ("mark 4 done", {"number": 4}),
        ("finish the report", {"title": "report"}),
        ("check off 3", {"number": 3}),
        ("tick off the second one", {"number": 2}),
        ("complete task 12", {"number": 12}),
        ('complete "the band"', {"title": "the band"}),
    ],
)
def test_complete(text: str, target: dict) -> None:
    assert _target(text) == ("complete", target)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("reopen 2", {"number": 2}),
        ("undo complete buy milk", {"title": "buy milk"}),
        ("mark 2 as not done", {"number": 2}),
        ("mark buy milk as incomplete", {"title": "buy milk"}),
        ("uncheck 5", {"number": 5}),
    ],
)
def test_reopen(text: str, target: dict) -> None:
    assert _target(text) == ("reopen", target)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("delete 2", {"number": 2}),
        ("remove buy milk", {"title": "buy milk"}),
        ("please delete the 3rd task", {"number": 3}),
        ("erase my dentist appointment", {"title": "dentist appointment"}),
    ],
)
def test_delete(text: str, target: dict) -> None:
    assert _target(text) == ("delete", target)


@pytest.mark.parametrize(
    ("text", "target", "title"),
    [
        ("rename 2 to Buy oat milk", {"number": 2}, "Buy oat milk"),
        ("rename buy milk to buy oat milk", {"title": "buy milk"}, "buy oat milk"),
        ("change title of 1 to Call the bank tomorrow", {"number": 1}, "Call the bank tomorrow"),
        ("change the name of 3 to pay rent p1", {"number": 3}, "pay rent p1"),
    ],
)
def test_rename(text: str, target: dict, title: str) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.target, parsed.title) == ("rename", target, title)
    assert (parsed.due, parsed.priority) == (None, None)  # the new title is taken as written


@pytest.mark.parametrize(
    ("text", "target", "due", "shift"),
    [
        ("move 2 to friday", {"number": 2}, at("2026-03-13"), None),
        ("reschedule buy milk to tomorrow 9am", {"title": "buy milk"}, at("2026-03-11", "09:00"),
         None),
        ("postpone 3 by 2 days", {"number": 3}, None, Shift(days=2)),
        ("push 1 to next week", {"number": 1}, at("2026-03-16"), None),
        ("delay 4 by an hour", {"number": 4}, None, Shift(minutes=60)),
        ("reschedule dentist friday to monday", {"title": "dentist friday"}, at("2026-03-16"),
         None),
        ("snooze 2 until tomorrow", {"number": 2}, at("2026-03-11"), None),
        ("postpone 3", {"number": 3}, None, None),
        ("snooze 1 for 2 hours", {"number": 1}, None, Shift(minutes=120)),
    ],
)  # fmt: skip
def test_reschedule(text: str, target: dict, due: Due | None, shift: Shift | None) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.target, parsed.due, parsed.shift) == (
        "reschedule",
        target,
        due,
        shift,
    )


@pytest.mark.parametrize(
    ("text", "intent", "target", "reminder"),
    [
        ("remind me about task 42 in 1 hour", "remind", {"number": 42},
         Reminder(at=aware("2026-03-10T15:00+01:00"))),
        ("remind me about buy milk at 5pm", "remind", {"title": "buy milk"},
         Reminder(at=aware("2026-03-10T17:00+01:00"))),
        ("remind me about buy milk tomorrow", "remind", {"title": "buy milk"},
         Reminder(at=aware("2026-03-11T09:00+01:00"))),
        ("remind me about 2 30 min before", "remind", {"number": 2},
         Reminder(before=timedelta(minutes=30))),
        ("remind me about the dentist", "remind", {"title": "dentist"}, None),
    ],
)  # fmt: skip
def test_remind(text: str, intent: str, target: dict, reminder: Reminder | None) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.target, parsed.reminder) == (intent, target, reminder)


@pytest.mark.parametrize(
    ("text", "title", "due", "reminder"),
    [
        ("remind me to call mom tomorrow 9am", "call mom", at("2026-03-11", "09:00"),
         Reminder(at=aware("2026-03-11T09:00+01:00"))),
        ("remind me tomorrow at 9 to call mom", "call mom", at("2026-03-11", "09:00"),
         Reminder(at=aware("2026-03-11T09:00+01:00"))),
        ("remind me to call mom friday", "call mom", at("2026-03-13"),
         Reminder(at=aware("2026-03-13T09:00+01:00"))),
        ("remind me to call mom", "call mom", None, None),
        ("call mom friday 5pm remind me 30 min before", "call mom", at("2026-03-13", "17:00"),
         Reminder(before=timedelta(minutes=30))),
        ("dentist friday 5pm remind me at 4pm", "dentist", at("2026-03-13", "17:00"),
         Reminder(at=aware("2026-03-13T16:00+01:00"))),
        ("pay rent remind me in 2 hours", "pay rent", None,
         Reminder(at=aware("2026-03-10T16:00+01:00"))),
    ],
)  # fmt: skip
def test_remind_me_to_is_an_add_with_a_reminder(
    text: str, title: str, due: Due | None, reminder: Reminder | None
) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.title, parsed.due, parsed.reminder) == (
        "add",
        title,
        due,
        reminder,
    )


@pytest.mark.parametrize(
    ("text", "target", "rule", "bang"),
    [
        ("make 2 repeat every monday", {"number": 2}, "FREQ=WEEKLY;BYDAY=MO", False),
        ("make buy milk repeat every week", {"title": "buy milk"}, "FREQ=WEEKLY", False),
        ("make 3 recurring monthly", {"number": 3}, "FREQ=MONTHLY", False),
        ("repeat 4 every! 2 days", {"number": 4}, "FREQ=DAILY;INTERVAL=2", True),
        ("set 1 to repeat every weekday", {"number": 1}, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", False),
    ],
)
def test_repeat(text: str, target: dict, rule: str, bang: bool) -> None:
    parsed = parse(text, NOW, ZONE)
    assert (parsed.intent, parsed.target, parsed.recurrence) == ("repeat", target, rule)
    assert parsed.recur_from_completion is bang
    assert parsed.due is not None  # the first occurrence, should the task have no due yet


@pytest.mark.parametrize(
    "text",
    [
        "Do you have a car?",
        "hello",
        "Thanks!",
        "good morning",
        "what's the weather like",
        "how are you",
        "can you help me",
        "is it raining?",
        "",
        "   ",
        "?!",
    ],
)
def test_unknown(text: str) -> None:
    parsed = parse(text, NOW, ZONE)
    assert parsed.intent == "unknown"
    assert (parsed.due, parsed.recurrence, parsed.spans) == (None, None, ())


def test_a_question_that_names_a_date_is_still_a_task() -> None:
    parsed = parse("should I call mom tomorrow?", NOW, ZONE)
    assert (parsed.intent, parsed.due) == ("add", at("2026-03-11"))


def test_parse_refuses_an_unknown_zone_and_a_naive_now() -> None:
    with pytest.raises(ValueError, match="time zone"):
        parse("buy milk", NOW, "Mars/Olympus")
    with pytest.raises(ValueError, match="time zone"):
        parse("buy milk", NOW, "")
    with pytest.raises(ValueError, match="aware"):
        parse("buy milk", datetime(2026, 3, 10, 14), ZONE)
