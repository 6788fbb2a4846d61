"""The task tools (functions/todo/tools): the same service, outbox and validation as REST,
each batch item on its own, dates read in the user's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from functions.shared.wiring import context
from functions.todo.tools import catalog
from functions.todo.tools.schemas import NewTask, Reschedule, TaskChange
from functions.todo.tools.toolbox import Toolbox
from tests.support.api import Api, types_on

pytestmark = pytest.mark.api

NOW = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # Tuesday; New York is at UTC-4 since Mar 8


@pytest.fixture
def box(todo_app: Flask) -> Toolbox:
    return Toolbox(context(todo_app), "alice", "America/New_York", clock=lambda: NOW)


def test_a_batch_reports_each_item_and_keeps_the_good_ones(
    box: Toolbox, alice: Api, outbox: Any
) -> None:
    result = catalog.add_tasks(
        box,
        [
            NewTask(title="Buy milk", due_string="tomorrow 5pm", tags=["home"]),
            NewTask(title="Bad date", due_string="whenever it suits"),
            NewTask(title="Bad rule", recurrence="FREQ=SOMETIMES"),
        ],
    )
    assert (result.succeeded, result.failed) == (1, 2)
    good, no_date, bad_rule = result.results
    assert good.ok and good.task and good.task.due_date == "2026-03-11T21:00:00Z"
    assert not no_date.ok and "no date understood" in (no_date.error or "")
    assert not bad_rule.ok and (bad_rule.error or "").startswith("recurrence")
    assert [t["title"] for t in alice.get("/api/tasks").get_json()["items"]] == ["Buy milk"]
    assert types_on(outbox(), "task-events") == ["task.created"]


def test_changing_tools_refuse_another_users_tasks_like_missing_ones(
    box: Toolbox, todo_app: Flask
) -> None:
    bobs = catalog.add_tasks(Toolbox(context(todo_app), "bob"), [NewTask(title="Bob's")])
    bob_id = bobs.results[0].task.id  # type: ignore[union-attr]
    missing = "00000000-0000-0000-0000-000000000000"
    for tool in (catalog.complete_tasks, catalog.reopen_tasks, catalog.delete_tasks):
        result = tool(box, [bob_id, missing])
        assert [r.error for r in result.results] == [
            f"Task {bob_id} does not exist.",
            f"Task {missing} does not exist.",
        ]


def test_reopen_tells_task_reopened_and_schedules_the_reminder_again(
    box: Toolbox, alice: Api, outbox: Any
) -> None:
    task = alice.create(title="Renew passport", reminder_time="2026-04-01T09:00:00Z")
    catalog.complete_tasks(box, [task["id"]])
    again = catalog.reopen_tasks(box, [task["id"]]).results[0].task
    assert again is not None and (again.status, again.completed_at) == ("pending", None)
    assert types_on(outbox(), "task-events") == ["task.created", "task.completed", "task.reopened"]
    assert types_on(outbox(), "reminders") == [
        "reminder.scheduled",
        "reminder.cancelled",
        "reminder.scheduled",
    ]
    assert catalog.reopen_tasks(box, [task["id"]]).succeeded == 1  # idempotent
    assert len(outbox()) == 9  # each reopen above: two task events, one reminder event


def test_reschedule_keeps_the_recurrence_and_the_reminders_lead(box: Toolbox, alice: Api) -> None:
    task = alice.create(
        title="Team sync",
        due_date="2026-03-16T14:00:00Z",
        reminder_time="2026-03-16T13:45:00Z",
        recurrence="FREQ=WEEKLY;BYDAY=MO",
        timezone="America/New_York",
    )
    moved = catalog.reschedule_tasks(box, [Reschedule(id=task["id"], due_string="thursday 3pm")])
    after = moved.results[0].task
    assert after is not None
    assert (after.due_date, after.reminder_time) == ("2026-03-12T19:00:00Z", "2026-03-12T18:45:00Z")
    assert after.recurrence == "FREQ=WEEKLY;BYDAY=MO"


def test_a_due_day_without_a_time_is_that_day_in_the_users_zone(box: Toolbox) -> None:
    [made] = catalog.add_tasks(box, [NewTask(title="Pay rent", due_string="friday")]).results
    assert made.task and made.task.all_day and made.task.timezone == "America/New_York"
    assert made.task.due_date == "2026-03-14T03:59:59.999999Z"  # Friday's last instant in NY
    today = catalog.find_tasks_by_date(box, start="2026-03-13")
    assert [t.title for t in today.tasks] == ["Pay rent"]
    assert catalog.find_tasks_by_date(box, start="2026-03-14").tasks == []


def test_find_by_date_overdue_today_and_a_week(box: Toolbox, alice: Api) -> None:
    alice.create(title="Late", due_date="2026-03-09T12:00:00Z")
    alice.create(title="Today", due_date="2026-03-10T20:00:00Z")
    alice.create(title="Next week", due_date="2026-03-16T20:00:00Z")
    done = alice.create(title="Done late", due_date="2026-03-08T12:00:00Z")
    alice.post(f"/api/tasks/{done['id']}/complete")

    def titles(**args: Any) -> list[str]:
        return [t.title for t in catalog.find_tasks_by_date(box, **args).tasks]

    assert titles(start="overdue") == ["Late"]
    assert titles(start="today") == ["Today"]
    assert titles(start="today", days=7) == ["Today", "Next week"]
    with pytest.raises(ValueError, match="start must be"):
        catalog.find_tasks_by_date(box, start="someday")


def test_the_overview_counts_in_the_users_zone(box: Toolbox, alice: Api) -> None:
    alice.create(title="Late", due_date="2026-03-09T12:00:00Z", priority="high", tags=["work"])
    alice.create(title="Today", due_date="2026-03-10T20:00:00Z", tags=["work", "home"])
    alice.create(title="Later", due_date="2026-04-10T20:00:00Z")
    done = alice.create(title="Done")
    alice.post(f"/api/tasks/{done['id']}/complete")
    overview = catalog.get_overview(box)
    assert (overview.open, overview.overdue, overview.due_today, overview.due_next_7_days) == (
        3,
        1,
        1,
        1,
    )
    assert overview.by_priority == {"high": 1, "medium": 2}
    assert overview.top_tags == [("work", 2), ("home", 1)]


def test_set_reminder_before_the_due_and_update_only_what_is_given(
    box: Toolbox, alice: Api
) -> None:
    task = alice.create(title="Dentist", due_date="2026-03-12T15:00:00Z", priority="high")
    reminded = catalog.set_reminder(box, task["id"], before_due_minutes=90)
    assert reminded.reminder_time == "2026-03-12T13:30:00Z"
    with pytest.raises(ValueError, match="exactly one"):
        catalog.set_reminder(box, task["id"])
    changed = catalog.update_tasks(box, [TaskChange(id=task["id"], title="Dentist at 3")])
    after = changed.results[0].task
    assert after is not None and (after.title, after.priority) == ("Dentist at 3", "high")


def test_quick_add_and_its_preview_agree(box: Toolbox) -> None:
    preview = catalog.parse_preview(box, "Call mom every sunday at 6pm #family")
    made = catalog.quick_add(box, "Call mom every sunday at 6pm #family")
    assert made.title == preview.would_create["title"] == "Call mom"  # type: ignore[index]
    assert (made.recurrence, made.recurrence_text) == (
        "FREQ=WEEKLY;BYDAY=SU",
        preview.recurrence_text,
    )
    assert made.due_date == "2026-03-15T22:00:00Z"
    with pytest.raises(ValueError, match="does not read as a task"):
        catalog.quick_add(box, "show overdue")
