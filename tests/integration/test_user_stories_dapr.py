"""The user stories of tests/e2e/test_user_stories.py through the real stack.

Each app runs under gunicorn with its own daprd (`todomesh up --dapr`), on PostgreSQL,
a real Kafka, a real SMTP server and, for the Jobs API option, Dapr's scheduler.
Besides what the apps answer, the tests read the Kafka topics back with a consumer of
their own (tests/support/kafka.py) and check every record against the event contract.
One fresh platform and database per test; the session's topics are shared, so every
test has its own user. Before asserting that something came once, a test waits until
the platform owes nothing (the `quiet` fixture) and reads the topics to their ends.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from functions.launcher.selfhosted import SelfHostedPlatform
from functions.todo.reminders import job_name
from tests.support.contract import validate_event
from tests.support.kafka import Record, TopicReader
from tests.support.mail import Mailbox
from tests.support.platform import UserSession
from tests.support.quiet import Backlog
from tests.support.stories import (
    all_tasks,
    assert_one_in_app_reminder,
    changes,
    complete,
    create,
    in_app_notifications,
    occurrence,
    ok,
    rfc3339,
    seconds_from_now,
)
from tests.support.tracker import Tracker
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

log = logging.getLogger(__name__)
LIFECYCLE = ["task.created", "task.updated", "task.completed", "task.deleted"]
TASK_TOPICS = ("task-events", "task-updates")


@pytest.fixture
def kafka(kafka_bootstrap: str, track: Tracker) -> Callable[..., TopicReader]:
    """`kafka(*topics)` -> a reader of those topics from the start, in a fresh group."""
    return lambda *topics: track.own(TopicReader(kafka_bootstrap, topics))


def new_user(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def api(track: Tracker) -> Callable[[SelfHostedPlatform, str, str], UserSession]:
    """`api(platform, app_id, user)` -> a session with one app as `user`."""

    def open_session(platform: SelfHostedPlatform, app_id: str, user: str) -> UserSession:
        token = platform.identity.token(user)
        return track.own(UserSession(platform.members[app_id].url, token))

    return open_session


def audit_trail(audit: UserSession, user: str, task_id: str) -> list[dict[str, Any]]:
    return ok(audit.get(f"/api/audit/{user}/task/{task_id}"))["items"]


def assert_our_envelope(record: Record, source: str) -> None:
    """The record is the producer's own structured CloudEvent, keyed by task id, valid
    against the contract, and not wrapped in a CloudEvent of Dapr's."""
    assert record.key is not None, f"{record.topic} record without a key"
    envelope = record.envelope
    validate_event(envelope, topic=record.topic, key=record.key.decode())
    assert record.key == envelope["data"]["task_id"].encode() == envelope["subject"].encode()
    assert (envelope["specversion"], envelope["source"]) == ("1.0", source)
    assert envelope["type"] == envelope["data"]["event_type"]  # Dapr's would be com.dapr.*
    assert envelope["datacontenttype"] == "application/json"
    assert "data" not in envelope["data"], "Dapr wrapped our envelope in its own"


def records_wanted(
    reader: TopicReader,
    user: str,
    wanted: dict[str, int],
    settled: Callable[[], Backlog],
    timeout: float = 30,
) -> None:
    """Wait until `user` has at least `wanted[topic]` records on each topic; then, once
    the platform owes nothing (`settled`), read the topics to their ends: whatever was to
    come has come."""
    reader.wait_for(
        lambda r: all(len(r.of_user(user, topic)) >= n for topic, n in wanted.items()),
        f"{user}'s records {wanted}",
        timeout,
    )
    settled()
    reader.read_to_end()


@pytest.mark.each_platform
def test_crud_events_reach_kafka_once_keyed_by_task_and_the_audit_trail_in_order(
    selfhosted, kafka, api, quiet
) -> None:
    platform = selfhosted()
    user = new_user("ann")
    todo, audit = api(platform, "todo", user), api(platform, "audit", user)
    reader = kafka(*TASK_TOPICS, "reminders")
    reminder = rfc3339(seconds_from_now(3600))

    task = create(todo, title="Write the report", reminder_time=reminder)
    ok(
        todo.patch(
            f"/api/tasks/{task['id']}", json={"priority": "high"}, headers={"If-Match": '"1"'}
        )
    )
    complete(todo, task)
    ok(todo.delete(f"/api/tasks/{task['id']}"), 204)

    wait_for(
        lambda: audit_trail(audit, user, task["id"]),
        "four records in the audit trail",
        until=lambda trail: len(trail) >= 4,
        timeout=30,
    )
    records_wanted(
        reader,
        user,
        {"task-events": 4, "task-updates": 4, "reminders": 2},
        lambda: quiet(platform, "every event delivered"),
    )
    trail = audit_trail(audit, user, task["id"])
    assert [(r["event_type"], r["payload"]["version"]) for r in trail] == [
        (event_type, version) for version, event_type in enumerate(LIFECYCLE, 1)
    ]
    assert {(r["task_id"], r["user_id"]) for r in trail} == {(task["id"], user)}
    assert [r["payload"]["priority"] for r in trail] == ["medium", "high", "high", "high"]
    assert [r["payload"]["status"] for r in trail] == ["pending", "pending", "complete", "complete"]
    bob = api(platform, "audit", new_user("bob"))
    assert bob.get(f"/api/audit/{user}/task/{task['id']}").status_code == 403

    for topic in TASK_TOPICS:
        records = reader.of_user(user, topic)
        assert [r.type for r in records] == LIFECYCLE, topic  # each once, in order
        for record in records:
            assert_our_envelope(record, "todo")
        # the very events the audit trail recorded (and the same ones on both topics)
        assert [r.envelope["id"] for r in records] == [r["event_id"] for r in trail], topic
        assert [r.envelope["data"]["payload"]["version"] for r in records] == [1, 2, 3, 4]

    reminders = reader.of_user(user, "reminders")
    assert [r.type for r in reminders] == ["reminder.scheduled", "reminder.cancelled"]
    for record in reminders:
        assert_our_envelope(record, "todo")
        assert record.data["payload"]["reminder_time"] == task["reminder_time"]


@pytest.mark.each_platform
def test_completing_a_daily_task_creates_the_next_occurrence_through_kafka(
    selfhosted, kafka, api, quiet
) -> None:
    platform = selfhosted()
    user = new_user("ann")
    todo = api(platform, "todo", user)
    reader = kafka("task-events")

    root = create(
        todo, title="Water the plants", due_date="2027-01-04T09:00:00Z", recurrence="daily"
    )
    assert (root["occurrence"], root["due_date"]) == (1, "2027-01-04T09:00:00Z")
    done = complete(todo, root)
    assert complete(todo, root)["version"] == done["version"]  # idempotent: no second event

    second = occurrence(todo, root, 2, timeout=30)
    assert (second["due_date"], second["status"], second["parent_task_id"]) == (
        "2027-01-05T09:00:00Z",
        "pending",
        root["id"],
    )
    assert (second["title"], second["recurrence"]) == ("Water the plants", "daily")

    records_wanted(reader, user, {"task-events": 4}, lambda: quiet(platform, "the series settled"))
    records = reader.of_user(user, "task-events")
    assert Counter((r.type, r.task_id) for r in records) == Counter(
        {
            ("task.created", root["id"]): 1,
            ("task.completed", root["id"]): 1,
            ("recurring.task.created", second["id"]): 1,
            ("task.created", second["id"]): 1,
        }
    )
    for record in records:
        source = "recurring" if record.type == "recurring.task.created" else "todo"
        assert_our_envelope(record, source)
    [announced] = [r for r in records if r.type == "recurring.task.created"]
    payload = announced.data["payload"]
    assert (payload["occurrence"], payload["due_date"], payload["parent_task_id"]) == (
        2,
        "2027-01-05T09:00:00Z",
        root["id"],
    )
    assert sorted(t["id"] for t in all_tasks(todo)) == sorted([root["id"], second["id"]])


@pytest.mark.each_platform
def test_a_reminder_reaches_the_inbox_the_mailbox_and_the_notifications_topic(
    selfhosted, mailbox: Mailbox, kafka, api, quiet
) -> None:
    platform = selfhosted()
    user = new_user("ann")
    todo, notify = api(platform, "todo", user), api(platform, "notify", user)
    address = f"{user}@example.com"
    ok(
        notify.put(
            "/api/notifications/preferences",
            json={"channels": ["in_app", "email"], "email": address},
        )
    )
    reader = kafka("reminders", "notifications")
    task = create(todo, title="Call the dentist", reminder_time=rfc3339(seconds_from_now(3)))

    wait_for(lambda: in_app_notifications(notify), "the in-app reminder", timeout=30)
    wait_for(mailbox.received, "the reminder email", timeout=30)
    records_wanted(
        reader,
        user,
        {"reminders": 2, "notifications": 2},
        lambda: quiet(platform, "every notification settled"),
    )

    assert_one_in_app_reminder(notify, task, "Call the dentist")
    [(recipients, message)] = mailbox.received()
    assert recipients == [address]
    assert message["To"] == address
    assert "Call the dentist" in message["Subject"]
    assert "Call the dentist" in message.get_body(("html", "plain")).get_content()

    reminders = reader.of_user(user, "reminders")
    assert [r.type for r in reminders] == ["reminder.scheduled", "reminder.due"]
    sent = reader.of_user(user, "notifications")
    assert sorted((r.type, r.data["payload"]["channel"]) for r in sent) == [
        ("notification.sent", "email"),
        ("notification.sent", "in_app"),
    ]
    for record in reminders + sent:
        assert_our_envelope(record, "todo" if record.topic == "reminders" else "notify")
        assert record.task_id == task["id"]


@pytest.mark.each_platform
def test_the_hub_pushes_api_changes_and_replays_what_a_client_missed(
    selfhosted, api, track: Tracker, quiet
) -> None:
    platform = selfhosted(app_ids=("todo", "hub"))
    # A hub pod's consumer group is its own ({podName}) and starts from the oldest
    # record, so a new pod first reads what earlier tests published on task-updates
    # (known; see docs/architecture.md): the push is measured once it has caught up.
    quiet(platform, "the hub's consumer group caught up with its topics")
    user = new_user("ann")
    todo, hub = api(platform, "todo", user), platform.members["hub"].url

    ws, greeting = track.hub(hub, user, platform.identity.token(user))
    assert [m["type"] for m in greeting] == ["ready"]
    task = create(todo, title="Buy milk")
    (first,) = changes(ws, 1)
    assert (first["seq"], first["type"], first["task_id"]) == (1, "task.created", task["id"])
    assert first["payload"]["title"] == "Buy milk"
    ws.close()

    ok(todo.patch(f"/api/tasks/{task['id']}", json={"priority": "high"}))
    other = create(todo, title="Call mum")
    complete(todo, task)

    again, replayed = track.hub(hub, user, platform.identity.token(user), since=1)
    missed = [m for m in replayed if m["type"] != "ready"]  # what the log had by then,
    missed += changes(again, 3 - len(missed))  # and the rest live, as the hub records it
    # Kafka keeps order per task (the record key), not across tasks
    assert [m["seq"] for m in missed] == [2, 3, 4]
    assert [m["type"] for m in missed if m["task_id"] == task["id"]] == [
        "task.updated",
        "task.completed",
    ]
    assert [m["type"] for m in missed if m["task_id"] == other["id"]] == ["task.created"]
    ok(todo.delete(f"/api/tasks/{other['id']}"), 204)
    (live,) = changes(again, 1)  # no duplicate of the replay comes before it
    assert (live["seq"], live["type"], live["task_id"]) == (5, "task.deleted", other["id"])


def test_writes_to_either_of_two_todo_replicas_reach_kafka_without_a_poll(
    selfhosted, kafka, api
) -> None:
    """One replica's relay leads the outbox; the other's announces its writers' events to
    it. With an hour between polls, and each write on Kafka before the next (so that no
    write of the leader carries the other's along), the announcement is the only way
    the other replica's events get out."""
    platform = selfhosted(app_ids=("todo",), env={"TODOMESH_OUTBOX_POLL_SECONDS": "3600"})
    platform.add_member("todo", name="todo-2")
    user = new_user("ann")
    reader = kafka("task-events")
    replicas = [api(platform, name, user) for name in ("todo", "todo-2")]
    tasks = []
    for n in range(6):
        tasks.append(create(replicas[n % 2], title=f"Errand {n}"))
        reader.wait_for(
            lambda r, n=n: len(r.of_user(user, "task-events")) > n,
            f"create {n} (on replica {n % 2 + 1}) on task-events",
        )
    created = [r.task_id for r in reader.of_user(user, "task-events")]
    assert created == [t["id"] for t in tasks]


def test_a_client_on_each_of_two_hub_replicas_receives_every_change(
    selfhosted, api, track: Tracker, quiet
) -> None:
    platform = selfhosted(app_ids=("todo", "hub"))
    second_hub = platform.add_member("hub", name="hub-2")
    first_hub = platform.members["hub"]
    assert first_hub.url != second_hub.url
    user = new_user("ann")
    todo = api(platform, "todo", user)
    token = platform.identity.token(user)
    (ws1, _), (ws2, _) = (
        track.hub(first_hub.url, user, token),
        track.hub(second_hub.url, user, token),
    )

    # several tasks, so that their records spread over the topic's partitions
    tasks = [create(todo, title=f"Errand {n}") for n in range(3)]
    ok(todo.patch(f"/api/tasks/{tasks[0]['id']}", json={"priority": "high"}))
    complete(todo, tasks[0])
    ok(todo.delete(f"/api/tasks/{tasks[0]['id']}"), 204)

    got = [changes(ws, 6) for ws in (ws1, ws2)]
    assert got[0] == got[1]
    assert [m["seq"] for m in got[0]] == [1, 2, 3, 4, 5, 6]
    assert [m["type"] for m in got[0] if m["task_id"] == tasks[0]["id"]] == LIFECYCLE
    assert Counter(m["task_id"] for m in got[0]) == Counter(
        {tasks[0]["id"]: 4, tasks[1]["id"]: 1, tasks[2]["id"]: 1}
    )
    # Both hubs' groups caught up: every record was handled and queued for the clients, so
    # a duplicate would come before the change made now.
    quiet(platform, "both hubs caught up")
    last = create(todo, title="Last errand")
    for ws in (ws1, ws2):
        (next_change,) = changes(ws, 1)
        assert (next_change["seq"], next_change["task_id"]) == (7, last["id"])


_JOB_CALL = re.compile(r'"POST /job/(?P<job>reminders-at-[0-9TZ.]+) HTTP/[0-9.]+" (?P<status>\d+)')


def test_with_the_jobs_api_reminders_fire_once_each_across_a_restart_of_todo(
    selfhosted, scheduler, kafka, api, quiet, record_property
) -> None:
    platform = selfhosted(
        app_ids=("todo", "notify"), scheduler=scheduler, env={"TODOMESH_REMINDER_MODE": "jobs"}
    )
    user = new_user("ann")
    todo, notify = api(platform, "todo", user), api(platform, "notify", user)
    member = platform.members["todo"]
    reader = kafka("reminders")

    lead = 15  # seconds: time to create the tasks and restart the todo app before the first
    at = [rfc3339(seconds_from_now(lead)), rfc3339(seconds_from_now(lead + 1))]
    tasks = [
        create(todo, title=f"Stand-up {n}", reminder_time=when)
        for n, when in enumerate([at[0], at[0], at[1]])
    ]
    reminder_times = {t["id"]: datetime.fromisoformat(t["reminder_time"]) for t in tasks}
    jobs = {job_name(moment) for moment in reminder_times.values()}
    assert len(jobs) == 2  # the first two reminders share their time's job
    for job in jobs:  # in the scheduler
        found = requests.get(
            f"{member.sidecar.url}/v1.0-alpha1/jobs/{job}",
            headers=member.sidecar.api_headers,
            timeout=5,
        )
        assert found.status_code == 200, found.text

    restart_started = time.monotonic()
    member.stop_app()
    member.start_app()
    log.warning("todo app restarted in %.1f s", time.monotonic() - restart_started)
    assert datetime.now(UTC) < min(reminder_times.values()), "the restart took too long"

    def job_calls() -> list[str]:
        log_text = member.app.log_text()
        return sorted(m["job"] for m in _JOB_CALL.finditer(log_text) if m["status"] == "200")

    # the scheduler calls the restarted app back once per reminder time; then neither a
    # job nor the sweep (kept as a safety net) has a reminder left to fire
    wait_for(
        job_calls,
        "a job callback per reminder time",
        until=lambda calls: set(calls) == jobs,
        timeout=40,
    )
    records_wanted(
        reader, user, {"reminders": 6}, lambda: quiet(platform, "reminders fired"), timeout=40
    )
    assert job_calls() == sorted(jobs)  # one callback per time, not one per reminder
    due = [r for r in reader.of_user(user, "reminders") if r.type == "reminder.due"]
    assert Counter(r.task_id for r in due) == Counter(list(reminder_times))  # once each
    for record in due:
        assert_our_envelope(record, "todo")
    notes = in_app_notifications(notify)
    assert Counter(n["task_id"] for n in notes) == Counter(list(reminder_times))

    delays = sorted(
        (datetime.fromisoformat(r.data["timestamp"]) - reminder_times[r.task_id]).total_seconds()
        for r in due
    )
    record_property("jobs_api_delays_seconds", delays)
    log.warning("Jobs API: reminder.due fired %s s after the reminder time", delays)


def test_the_chat_story_through_daprd_and_kafka(selfhosted, kafka, api, track: Tracker) -> None:
    platform = selfhosted(app_ids=("todo", "hub", "audit"))
    user = new_user("ann")
    todo, audit = api(platform, "todo", user), api(platform, "audit", user)
    reader = kafka("task-events")
    ws, _ = track.hub(platform.members["hub"].url, user, platform.identity.token(user))

    answer = ok(
        todo.post(
            "/api/chat",
            json={"message": "Add task: Buy groceries tomorrow 5pm #home p1", "timezone": "UTC"},
        )
    )
    task = answer["actions"][0]["result"]
    assert (task["title"], task["tags"], task["priority"]) == ("Buy groceries", ["home"], "high")
    assert task["due_date"].endswith("T17:00:00Z") and not task["all_day"]
    reader.wait_for(lambda r: r.of_user(user, "task-events"), "task.created on task-events", 30)
    [created] = reader.of_user(user, "task-events")
    assert_our_envelope(created, "todo")
    assert (created.key, created.envelope["type"]) == (task["id"].encode(), "task.created")
    [pushed] = changes(ws, 1)
    assert (pushed["type"], pushed["task_id"]) == ("task.created", task["id"])
    trail = wait_for(lambda: audit_trail(audit, user, task["id"]), "the audit record", timeout=30)
    assert [r["event_type"] for r in trail] == ["task.created"]
