"""Reminder events, the reminder sweep, and inserting the next occurrence of a series."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import responses
from flask import Flask

from functions.runtime.delivery import bulk_body
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient
from functions.shared.wiring import context
from functions.todo import reminders
from functions.todo.reminders import ReminderJobs, ReminderTimer
from tests.support.api import Api, types_on
from tests.support.waiting import wait_for

pytestmark = pytest.mark.api

REMINDERS = "reminders"


CLOUDEVENT = {"Content-Type": "application/cloudevents+json"}


def _in(minutes: float = 0, seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes, seconds=seconds)).isoformat()


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


def test_a_reminder_times_job_fires_every_reminder_due_then_nothing(
    alice: Api, outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "SWEEP_LIMIT", 1)  # a transaction per reminder
    monkeypatch.setattr(reminders, "SWEEP_ROUNDS", 2)  # and two per callback
    due = [alice.create(title=f"due {m}", reminder_time=_in(-m)) for m in (3, 2, 1)]
    later = alice.create(reminder_time=_in(60))
    job = reminders.job_name(datetime.fromisoformat(due[2]["reminder_time"]))
    assert alice.client.post(f"/job/{job}").get_json() == {"fired": 2}
    # the oldest first; what one callback leaves, the next (or the sweep) fires
    fired = [k for _, k, e in outbox() if e["type"] == "reminder.due"]
    assert fired == [due[0]["id"], due[1]["id"]]
    assert alice.client.post(f"/job/{job}").get_json() == {"fired": 1}
    # a job whose reminders were all fired, moved or cancelled comes and fires nothing
    assert alice.client.post(f"/job/{job}").get_json() == {"fired": 0}
    fired = [k for _, k, e in outbox() if e["type"] == "reminder.due"]
    assert fired == [t["id"] for t in due]
    assert later["id"] not in fired


def test_a_reminder_times_job_fires_by_the_schedulers_clock_within_the_skew(
    alice: Api, outbox
) -> None:
    """The Scheduler calls at the job's time; the app's clock may run a little behind."""
    soon = alice.create(title="soon", reminder_time=_in(seconds=3))
    later = alice.create(title="later", reminder_time=_in(10))
    for task in (soon, later):
        job = reminders.job_name(datetime.fromisoformat(task["reminder_time"]))
        alice.client.post(f"/job/{job}")
    # `soon` fired 3 s early by this clock, within the skew; `later` is not due for 10 min
    assert [k for _, k, e in outbox() if e["type"] == "reminder.due"] == [soon["id"]]


def test_a_job_per_reminder_from_an_earlier_version_fires_it_and_every_other_due(
    alice: Api, outbox
) -> None:
    one = alice.create(reminder_time=_in(-1))
    other = alice.create(reminder_time=_in(-2))
    later = alice.create(reminder_time=_in(60))
    assert alice.client.post(f"/job/reminder-{one['id']}").get_json() == {"fired": 2}
    # the other's own job comes later and finds it fired: each fires once
    assert alice.client.post(f"/job/reminder-{other['id']}").get_json() == {"fired": 0}
    fired = [k for _, k, e in outbox() if e["type"] == "reminder.due"]
    assert sorted(fired) == sorted([one["id"], other["id"]])
    assert later["id"] not in fired


def test_a_job_per_reminder_fires_its_own_reminder_first_when_many_are_due(
    alice: Api, outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reminders, "SWEEP_LIMIT", 1)  # more due than one transaction takes
    monkeypatch.setattr(reminders, "SWEEP_ROUNDS", 1)
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


def test_with_the_jobs_api_a_next_occurrence_with_a_reminder_gets_its_job(
    todo_app: Flask, alice: Api
) -> None:
    # what `create_app` provides in Dapr mode with TODOMESH_REMINDER_MODE=jobs
    context(todo_app).provide(ReminderJobs(DaprClient(Settings())))
    jobs = "http://127.0.0.1:3500/v1.0-alpha1/jobs/"
    with responses.RequestsMock() as scheduler:
        scheduler.add(responses.POST, re.compile(re.escape(jobs) + ".*"), status=204)
        root = alice.create(title="Standup", recurrence="daily", due_date="2030-01-07T09:30:00Z")
        assert not scheduler.calls  # no reminder, no job
        event = _instance_event(root, str(uuid.uuid4()))
        event["data"]["payload"]["reminder_time"] = "2030-01-08T09:00:00Z"
        alice.client.post("/events/recurring", json=event, headers=CLOUDEVENT)
        again = alice.client.post("/events/recurring", json=event, headers=CLOUDEVENT)
        assert again.get_json() == {"status": "SUCCESS"}
        # once: the redelivery inserted nothing, so it schedules nothing
        assert [c.request.url for c in scheduler.calls] == [jobs + "reminders-at-20300108T090000Z"]
        bulk = _instance_event(root, str(uuid.uuid4()))
        bulk["data"]["payload"] |= {
            "id": str(uuid.uuid4()),
            "occurrence": 3,
            "reminder_time": "2030-01-09T09:00:00Z",
        }
        body = bulk_body("pubsub", "task-events", [("a", bulk)])
        alice.client.post("/events/recurring", data=body, content_type="application/json")
        assert scheduler.calls[-1].request.url == jobs + "reminders-at-20300109T090000Z"
