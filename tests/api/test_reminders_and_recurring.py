"""Reminder events, the reminder sweep, and inserting the next occurrence of a series."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from functions.runtime.delivery import bulk_body
from functions.shared.wiring import context
from functions.todo import reminders
from functions.todo.reminders import ReminderTimer
from tests.support.api import Api, types_on
from tests.support.waiting import wait_for

pytestmark = pytest.mark.api

REMINDERS = "reminders"


CLOUDEVENT = {"Content-Type": "application/cloudevents+json"}


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def test_setting_moving_and_clearing_a_reminder(alice: Api, outbox) -> None:
    task = alice.create(reminder_time=_in(60))
    alice.patch(f"/api/tasks/{task['id']}", json={"reminder_time": _in(90)})
    alice.patch(f"/api/tasks/{task['id']}", json={"title": "unrelated"})
    alice.patch(f"/api/tasks/{task['id']}", json={"reminder_time": None})
    assert types_on(outbox(), REMINDERS) == [
        "reminder.scheduled",
        "reminder.scheduled",
        "reminder.cancelled",
    ]
    payload = outbox()[2][2]["data"]["payload"]
    assert payload["task_id"] == task["id"]
    assert payload["user_id"] == "alice"
    cancelled = [e for t, _, e in outbox() if e["type"] == "reminder.cancelled"][0]
    moved = [e for t, _, e in outbox() if e["type"] == "reminder.scheduled"][1]
    assert (
        cancelled["data"]["payload"]["reminder_time"] == moved["data"]["payload"]["reminder_time"]
    )


def test_a_reminder_set_on_a_complete_task_is_not_scheduled(alice: Api, outbox) -> None:
    task = alice.create()
    alice.post(f"/api/tasks/{task['id']}/complete")
    alice.patch(f"/api/tasks/{task['id']}", json={"reminder_time": _in(60)})
    assert types_on(outbox(), REMINDERS) == []


def test_a_task_made_recurring_later_is_occurrence_one(alice: Api) -> None:
    task = alice.create(due_date="2027-01-01T09:00:00Z")
    assert task["occurrence"] is None
    updated = alice.patch(f"/api/tasks/{task['id']}", json={"recurrence": "weekly"}).get_json()
    assert updated["occurrence"] == 1


def test_completing_or_deleting_cancels_a_pending_reminder(alice: Api, outbox) -> None:
    done = alice.create(reminder_time=_in(60))
    gone = alice.create(reminder_time=_in(60))
    plain = alice.create()
    alice.post(f"/api/tasks/{done['id']}/complete")
    alice.delete(f"/api/tasks/{gone['id']}")
    alice.delete(f"/api/tasks/{plain['id']}")
    cancelled = [k for t, k, e in outbox() if e["type"] == "reminder.cancelled"]
    assert cancelled == [done["id"], gone["id"]]


def test_completing_while_clearing_the_reminder_cancels_the_one_it_had(alice: Api, outbox) -> None:
    task = alice.create(reminder_time=_in(60))
    alice.patch(f"/api/tasks/{task['id']}", json={"status": "complete", "reminder_time": None})
    assert types_on(outbox(), REMINDERS) == ["reminder.scheduled", "reminder.cancelled"]
    scheduled, cancelled = [e["data"]["payload"] for t, _, e in outbox() if t == REMINDERS]
    assert cancelled["reminder_time"] == scheduled["reminder_time"]


def test_reopening_with_a_new_time_schedules_a_reminder_that_had_fired(alice: Api, outbox) -> None:
    task = alice.create(reminder_time=_in(-1))
    alice.client.post("/reminder-sweep", json={})
    alice.post(f"/api/tasks/{task['id']}/complete")
    alice.patch(f"/api/tasks/{task['id']}", json={"status": "pending", "reminder_time": _in(-1)})
    alice.client.post("/reminder-sweep", json={})
    assert types_on(outbox(), REMINDERS) == [
        "reminder.scheduled",
        "reminder.due",
        "reminder.scheduled",  # completing cancelled nothing: it had fired
        "reminder.due",
    ]


def test_sweep_fires_each_due_reminder_once(alice: Api, outbox) -> None:
    due = alice.create(title="due", reminder_time=_in(-1))
    alice.create(title="later", reminder_time=_in(60))
    done = alice.create(title="done", reminder_time=_in(-1))
    alice.post(f"/api/tasks/{done['id']}/complete")
    first = alice.client.post("/reminder-sweep", json={})
    second = alice.client.post("/reminder-sweep", json={})
    assert first.get_json() == {"fired": 1}
    assert second.get_json() == {"fired": 0}
    fired = [
        (k, e["data"]["payload"]["title"]) for t, k, e in outbox() if e["type"] == "reminder.due"
    ]
    assert fired == [(due["id"], "due")]


def test_job_callback_fires_its_reminder_and_every_other_due(alice: Api, outbox) -> None:
    one = alice.create(reminder_time=_in(-1))
    other = alice.create(reminder_time=_in(-2))
    later = alice.create(reminder_time=_in(60))
    assert alice.client.post(f"/job/reminder-{one['id']}").get_json() == {"fired": 2}
    # the other's own job comes later and finds it fired: each fires once
    assert alice.client.post(f"/job/reminder-{other['id']}").get_json() == {"fired": 0}
    fired = [k for _, k, e in outbox() if e["type"] == "reminder.due"]
    assert sorted(fired) == sorted([one["id"], other["id"]])
    assert later["id"] not in fired


def test_a_job_callback_fires_its_own_reminder_first_when_many_are_due(
    alice: Api, outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "SWEEP_LIMIT", 1)  # more due than one transaction takes
    alice.create(title="older", reminder_time=_in(-5))
    own = alice.create(title="own", reminder_time=_in(-1))
    assert alice.client.post(f"/job/reminder-{own['id']}").get_json() == {"fired": 1}
    assert [k for _, k, e in outbox() if e["type"] == "reminder.due"] == [own["id"]]


def _instance_event(root: dict, event_id: str) -> dict:
    snapshot = {
        **root,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, root["id"] + ":2")),
        "parent_task_id": root["id"],
        "occurrence": 2,
        "due_date": "2027-01-02T09:00:00Z",
    }
    return {
        "specversion": "1.0",
        "id": event_id,
        "type": "recurring.task.created",
        "source": "recurring",
        "subject": snapshot["id"],
        "pubsubname": "pubsub",
        "topic": "task-events",
        "datacontenttype": "application/json",
        "data": {
            "event_id": event_id,
            "event_type": "recurring.task.created",
            "schema_version": "1.0",
            "timestamp": "2027-01-01T10:00:00Z",
            "task_id": snapshot["id"],
            "user_id": root["user_id"],
            "payload": snapshot,
        },
    }


def test_recurring_instance_is_inserted_once(alice: Api, outbox) -> None:
    root = alice.create(title="Standup", recurrence="daily", due_date="2027-01-01T09:00:00Z")
    event = _instance_event(root, str(uuid.uuid4()))
    headers = {"Content-Type": "application/cloudevents+json"}
    for _ in range(2):
        response = alice.client.post("/events/recurring", json=event, headers=headers)
        assert response.get_json() == {"status": "SUCCESS"}
    again = _instance_event(root, str(uuid.uuid4()))  # same instance, a different event
    alice.client.post("/events/recurring", json=again, headers=headers)
    items = alice.get("/api/tasks").get_json()["items"]
    assert [(t["title"], t["occurrence"], t["parent_task_id"]) for t in items] == [
        ("Standup", 1, None),
        ("Standup", 2, root["id"]),
    ]
    assert items[1]["due_date"] == "2027-01-02T09:00:00Z"
    assert types_on(outbox(), "task-events") == ["task.created", "task.created"]


def test_a_bulk_delivery_adds_each_instance_once_and_answers_for_every_entry(
    alice: Api,
) -> None:
    root = alice.create(title="Standup", recurrence="daily", due_date="2027-01-01T09:00:00Z")
    instance = _instance_event(root, str(uuid.uuid4()))
    poison = _instance_event(root, str(uuid.uuid4()))
    poison["data"]["payload"] = {}
    other = _instance_event(root, str(uuid.uuid4()))
    other["type"] = other["data"]["event_type"] = "task.updated"
    entries = [("a", instance), ("b", poison), ("c", other), ("d", instance)]
    body = bulk_body("pubsub", "task-events", entries)
    headers = {"Content-Type": "application/json"}
    response = alice.client.post("/events/recurring", data=body, headers=headers)
    statuses = {s["entryId"]: s["status"] for s in response.get_json()["statuses"]}
    assert statuses == {"a": "SUCCESS", "b": "DROP", "c": "SUCCESS", "d": "SUCCESS"}
    assert [t["occurrence"] for t in alice.get("/api/tasks").get_json()["items"]] == [1, 2]

    response = alice.client.post("/events/ignored", data=body, headers=headers)
    statuses = {s["entryId"]: s["status"] for s in response.get_json()["statuses"]}
    assert statuses == dict.fromkeys("abcd", "SUCCESS")
    alone = alice.client.post("/events/ignored", json=other, headers=CLOUDEVENT)
    assert alone.get_json() == {"status": "SUCCESS"}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"id": "x" * 36, "user_id": "alice"},
        {"id": "x" * 36, "user_id": "alice", "title": "t"},
        {"user_id": "alice", "title": "t", "due_date": "2027-01-01T09:00:00Z"},
    ],
)
def test_a_poison_recurring_event_is_dropped_and_writes_nothing(alice: Api, payload) -> None:
    root = alice.create(title="Standup", recurrence="daily", due_date="2027-01-01T09:00:00Z")
    event = _instance_event(root, str(uuid.uuid4()))
    event["data"]["payload"] = payload
    response = alice.client.post(
        "/events/recurring", json=event, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "DROP"
    assert len(alice.get("/api/tasks").get_json()["items"]) == 1


def test_malformed_data_is_dropped(alice: Api) -> None:
    event = {
        "specversion": "1.0",
        "id": "e1",
        "type": "recurring.task.created",
        "source": "recurring",
        "pubsubname": "pubsub",
        "data": {"nonsense": True},
    }
    response = alice.client.post(
        "/events/recurring", json=event, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "DROP"


def test_no_occurrence_after_any_task_of_the_series_was_deleted(alice: Api) -> None:
    root = alice.create(title="Standup", recurrence="daily", due_date="2027-01-01T09:00:00Z")
    headers = {"Content-Type": "application/cloudevents+json"}
    second = _instance_event(root, str(uuid.uuid4()))
    alice.client.post("/events/recurring", json=second, headers=headers)
    alice.delete(f"/api/tasks/{second['data']['payload']['id']}")  # an instance, not the root
    third = _instance_event(root, str(uuid.uuid4()))
    third["data"]["payload"].update(id=str(uuid.uuid4()), occurrence=3)
    response = alice.client.post("/events/recurring", json=third, headers=headers)
    assert response.get_json() == {"status": "SUCCESS"}
    assert [t["occurrence"] for t in alice.get("/api/tasks").get_json()["items"]] == [1]


def test_deleting_a_subtask_does_not_end_its_parents_series(alice: Api) -> None:
    root = alice.create(title="Standup", recurrence="daily", due_date="2027-01-01T09:00:00Z")
    subtask = alice.create(title="Prepare notes", parent_task_id=root["id"])
    alice.delete(f"/api/tasks/{subtask['id']}")
    event = _instance_event(root, str(uuid.uuid4()))
    alice.client.post(
        "/events/recurring", json=event, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert [t["occurrence"] for t in alice.get("/api/tasks").get_json()["items"]] == [1, 2]


def test_other_event_types_on_the_subscription_are_acknowledged_untouched(alice: Api) -> None:
    root = alice.create(title="Standup", recurrence="daily", due_date="2027-01-01T09:00:00Z")
    event = _instance_event(root, str(uuid.uuid4()))
    event["type"] = event["data"]["event_type"] = "task.archived"  # a newer producer's type
    event["data"]["schema_version"] = "1.4"
    response = alice.client.post(
        "/events/recurring", json=event, headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.get_json() == {"status": "SUCCESS"}
    assert len(alice.get("/api/tasks").get_json()["items"]) == 1


def _seconds_from_now(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def timer(todo_app) -> ReminderTimer:
    """The todo service's reminder timer (not started; the app's workers never are here)."""
    found = [w for w in context(todo_app).workers if isinstance(w, ReminderTimer)]
    assert len(found) == 1, "the todo service in sweep mode keeps one reminder timer"
    return found[0]


@pytest.fixture
def running_timer(timer: ReminderTimer) -> Iterator[ReminderTimer]:
    timer.start()
    yield timer
    timer.stop()


def test_the_timer_fires_a_reminder_when_it_is_due_with_no_sweep(
    alice: Api, outbox, running_timer: ReminderTimer
) -> None:
    task = alice.create(title="soon", reminder_time=_seconds_from_now(1.5))
    fired = wait_for(
        lambda: [k for _, k, e in outbox() if e["type"] == "reminder.due"],
        "reminder.due from the timer alone",
        until=bool,
        timeout=15,
    )
    assert fired == [task["id"]]
    stored = alice.get(f"/api/tasks/{task['id']}").get_json()
    assert stored["reminder_time"] <= datetime.now(UTC).isoformat()  # never early
    assert alice.client.post("/reminder-sweep", json={}).get_json() == {"fired": 0}


def test_the_timer_sleeps_until_the_earliest_pending_reminder(
    alice: Api, timer: ReminderTimer
) -> None:
    assert timer.seconds_until_due() == timer.recheck_seconds  # nothing pending
    alice.create(reminder_time=_in(60))
    assert timer.seconds_until_due() == timer.recheck_seconds  # later than the recheck
    alice.create(reminder_time=_seconds_from_now(3))
    assert 0 < timer.seconds_until_due() <= 3
    overdue = alice.create(reminder_time=_in(-1))
    assert timer.seconds_until_due() == 0
    alice.post(f"/api/tasks/{overdue['id']}/complete")  # a complete task's reminder is off
    assert 0 < timer.seconds_until_due() <= 3


def test_only_a_commit_that_sets_a_reminder_wakes_the_timer(
    alice: Api, timer: ReminderTimer
) -> None:
    """Each wake costs the timer a query; writes without a reminder cannot bring the
    next one forward."""
    task = alice.create(title="no reminder")
    alice.patch(f"/api/tasks/{task['id']}", json={"title": "still none"})
    assert not timer.woken
    alice.create(reminder_time=_in(60))
    assert timer.woken
