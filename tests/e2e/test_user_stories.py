"""The user stories against a real `todomesh dev` process, one fresh platform per test.

Before asserting that something happened only once, a test waits until the platform owes
nothing (`PlatformProcess.wait_quiet`): a second occurrence, record or email would have
come by then."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.mail import Mailbox, smtp_server, text_body
from tests.support.platform import audit_trail, audit_types, events_handled
from tests.support.stories import (
    all_tasks,
    assert_one_in_app_reminder,
    complete,
    create,
    in_app_notifications,
    occurrence,
    ok,
    rfc3339,
    seconds_from_now,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
ALICE_MAIL = {"channels": ["in_app", "email"], "email": "alice@example.com"}


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as mailbox:
        yield mailbox


def series(api: Any, root: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(occurrence, due date, status) of every live task of `root`'s series."""
    tasks = [t for t in all_tasks(api) if root["id"] in (t["id"], t["parent_task_id"])]
    return sorted((t["occurrence"], t["due_date"], t["status"]) for t in tasks)


def test_crud_lands_in_the_audit_trail_in_order_and_stays_private(platform) -> None:
    alice = platform.api("alice")
    task = create(alice, title="Write the report")
    ok(
        alice.patch(
            f"/api/tasks/{task['id']}", json={"priority": "high"}, headers={"If-Match": '"1"'}
        )
    )
    complete(alice, task)
    ok(alice.delete(f"/api/tasks/{task['id']}"), 204)

    wait_for(
        lambda: audit_trail(platform, "alice", task["id"]),
        "four records in the audit trail",
        until=lambda trail: len(trail) >= 4,
    )
    platform.wait_quiet("every change audited")
    trail = audit_trail(platform, "alice", task["id"])
    assert [(r["event_type"], r["payload"]["version"]) for r in trail] == [
        ("task.created", 1),
        ("task.updated", 2),
        ("task.completed", 3),
        ("task.deleted", 4),
    ]
    assert {(r["task_id"], r["user_id"]) for r in trail} == {(task["id"], "alice")}
    assert [r["payload"]["priority"] for r in trail] == ["medium", "high", "high", "high"]
    assert [r["payload"]["status"] for r in trail] == ["pending", "pending", "complete", "complete"]
    assert len({r["event_id"] for r in trail}) == 4

    bob = platform.api("bob")
    assert bob.get(f"/api/audit/alice/task/{task['id']}").status_code == 403
    assert bob.get("/api/audit/alice").status_code == 403
    assert ok(bob.get(f"/api/audit/bob/task/{task['id']}"))["items"] == []


@pytest.mark.parametrize(
    ("recurrence", "timezone", "due", "second_due", "third_due"),
    [
        ("daily", None, "2027-01-04T09:00:00Z", "2027-01-05T09:00:00Z", "2027-01-06T09:00:00Z"),
        ("weekly", None, "2027-01-04T09:00:00Z", "2027-01-11T09:00:00Z", "2027-01-18T09:00:00Z"),
        ("monthly", None, "2027-01-31T09:00:00Z", "2027-02-28T09:00:00Z", "2027-03-31T09:00:00Z"),
        # 09:00 in Berlin is 08:00Z before the 2027-03-28 switch to summer time, 07:00Z after
        (
            "daily",
            "Europe/Berlin",
            "2027-03-27T09:00:00+01:00",
            "2027-03-28T07:00:00Z",
            "2027-03-29T07:00:00Z",
        ),
    ],
    ids=["daily", "weekly", "monthly-jan-31", "daily-berlin-dst"],
)
def test_completing_a_recurring_task_creates_the_next_occurrence_once(
    platform, recurrence: str, timezone: str | None, due: str, second_due: str, third_due: str
) -> None:
    alice = platform.api("alice")
    root = create(
        alice, title="Water the plants", due_date=due, recurrence=recurrence, timezone=timezone
    )
    assert (root["occurrence"], root["due_date"]) == (1, rfc3339(datetime.fromisoformat(due)))
    done = complete(alice, root)
    assert complete(alice, root)["version"] == done["version"]  # idempotent: no second event

    second = occurrence(alice, root, 2)
    assert (second["due_date"], second["status"]) == (second_due, "pending")
    assert (second["title"], second["recurrence"], second["timezone"]) == (
        "Water the plants",
        recurrence,
        timezone,
    )
    # Reopen and complete occurrence 1 again: a second task.completed for an old occurrence.
    ok(alice.patch(f"/api/tasks/{root['id']}", json={"status": "pending"}))
    complete(alice, root)

    complete(alice, second)
    third = occurrence(alice, root, 3)
    assert third["due_date"] == third_due and third["parent_task_id"] == root["id"]

    wait_for(
        lambda: events_handled(platform, "recurring", "task.completed"),
        "recurring to handle the three completions",
        until=lambda n: n == 3,
    )
    platform.wait_quiet("the series settled")
    assert series(alice, root) == [
        (1, root["due_date"], "complete"),
        (2, second_due, "complete"),
        (3, third_due, "pending"),
    ]


DAY_1, DAY_2, DAY_3 = "2027-01-04T07:00:00Z", "2027-01-05T07:00:00Z", "2027-01-06T07:00:00Z"


@pytest.mark.parametrize(
    ("deleted", "left"),
    [
        ("root", [(2, DAY_2, "complete")]),
        ("instance", [(1, DAY_1, "complete"), (3, DAY_3, "complete")]),
    ],
)
def test_deleting_any_task_of_a_series_ends_it(platform, deleted: str, left: list) -> None:
    alice = platform.api("alice")
    root = create(alice, title="Stretch", due_date=DAY_1, recurrence="daily")
    complete(alice, root)
    second = occurrence(alice, root, 2)
    if deleted == "root":
        gone, last = root, second
    else:
        complete(alice, second)
        gone, last = second, occurrence(alice, root, 3)
    ok(alice.delete(f"/api/tasks/{gone['id']}"), 204)
    complete(alice, last)

    # the recurring function has handled the deletion and every completion, the last included
    completions = last["occurrence"]
    wait_for(
        lambda: events_handled(platform, "recurring", "task.deleted"),
        "recurring to handle the deletion",
        until=lambda n: n == 1,
    )
    wait_for(
        lambda: events_handled(platform, "recurring", "task.completed"),
        f"recurring to handle {completions} completions",
        until=lambda n: n == completions,
    )
    platform.wait_quiet("the series settled")
    assert "task.completed" in audit_types(platform, "alice", last["id"])
    assert series(alice, root) == left
    assert len(all_tasks(alice)) == len(left)
    created = ok(alice.get("/api/audit/alice", params={"type": "recurring.task.created"}))
    assert len(created["items"]) == completions - 1  # nothing after the deletion


def test_a_reminder_reaches_the_inbox_and_the_mailbox(stopped_platform, smtp) -> None:
    stopped_platform.start(**smtp.env)
    alice = stopped_platform.api("alice")
    ok(alice.put("/api/notifications/preferences", json=ALICE_MAIL))
    task = create(alice, title="Call the dentist", reminder_time=rfc3339(seconds_from_now(3)))

    wait_for(lambda: in_app_notifications(alice), "the in-app reminder", timeout=30)
    wait_for(smtp.received, "the reminder email", timeout=30)
    stopped_platform.wait_quiet("every notification settled")
    assert_one_in_app_reminder(alice, task, "Call the dentist")
    [(recipients, message)] = smtp.received()
    assert recipients == ["alice@example.com"]
    assert (message["To"], message["Subject"]) == (
        "alice@example.com",
        "Reminder: Call the dentist",
    )
    assert "Call the dentist" in text_body(message)


@pytest.mark.parametrize("restart_at", ["due-time", "first-notification"])
def test_simultaneous_reminders_notify_once_per_channel_across_a_restart(
    stopped_platform, smtp, restart_at: str
) -> None:
    stopped_platform.start(**smtp.env)
    alice = stopped_platform.api("alice")
    ok(alice.put("/api/notifications/preferences", json=ALICE_MAIL))
    due = seconds_from_now(12)  # 30 writes beside the consumer process, on two busy cores
    titles = {
        create(alice, title=f"Stand-up {n:02d}", reminder_time=rfc3339(due))[
            "id"
        ]: f"Stand-up {n:02d}"
        for n in range(30)
    }
    assert datetime.now(UTC) < due, "creating the tasks took too long for this test"

    if restart_at == "due-time":
        wait_for(lambda: datetime.now(UTC), "the reminders' due time", until=lambda t: t >= due)
    else:
        wait_for(lambda: in_app_notifications(alice), "the first in-app reminder", timeout=30)
    stopped_platform.stop()
    stopped_platform.start(**smtp.env)

    # an email claimed but not settled at the stop is retried once its 30 s lease runs out
    wait_for(
        lambda: len(in_app_notifications(alice)),
        "30 in-app reminders",
        until=lambda n: n >= 30,
        timeout=60,
    )
    wait_for(lambda: len(smtp.received()), "30 emails", until=lambda n: n >= 30, timeout=60)
    stopped_platform.wait_quiet("every notification settled", timeout=90)
    notes = in_app_notifications(alice)
    assert Counter(n["task_id"] for n in notes) == Counter(list(titles))
    assert {n["status"] for n in notes} == {"sent"}
    assert Counter(m["Subject"] for _, m in smtp.received()) == Counter(
        f"Reminder: {title}" for title in titles.values()
    )
