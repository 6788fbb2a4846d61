"""Faults on the real self-hosted platform: nothing is lost, nothing is duplicated.

Each test injects one fault into the platform `todomesh up --dapr` runs (gunicorn
apps, daprd sidecars, Kafka, PostgreSQL) and then counts what the consumers kept,
exactly, per task and per event id.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
import requests

from functions.launcher.selfhosted import SelfHostedPlatform
from tests.support.contract import validate_event
from tests.support.envelopes import cloud_event, publish, task_payload
from tests.support.faults import (
    audit_records,
    crash,
    create_tasks,
    dead_letters,
    dead_letters_of_user,
    drain,
    duplicates,
    envelope_id,
    metric,
    outbox_pending,
    port_closed,
    ready,
    task_ids,
    user_session,
)
from tests.support.identity import User
from tests.support.services import PostgresServer
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

DUE = "2027-01-04T09:00:00+01:00"
PROBLEM_JSON = "application/problem+json"


def new_user(platform: SelfHostedPlatform, label: str) -> User:
    name = f"faults-{label}-{uuid.uuid4().hex[:8]}"
    return User(name, platform.identity.token(name))


def admin(platform: SelfHostedPlatform) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.identity.token('ops', admin=True)}"}


def trail_by_task(records: list[dict]) -> dict[str, list[str]]:
    trail: dict[str, list[str]] = {}
    for record in records:
        trail.setdefault(record["task_id"], []).append(record["event_type"])
    return trail


def test_writes_survive_a_broker_outage_and_every_event_reaches_every_consumer(
    selfhosted, new_kafka_broker, quiet
) -> None:
    broker = new_kafka_broker()
    # A short relay back-off cap keeps the test quick; the recovery path is the same.
    platform = selfhosted(
        broker=broker,
        app_ids=("todo", "audit", "recurring"),
        env={"TODOMESH_OUTBOX_MAX_BACKOFF_SECONDS": "3"},
    )
    todo, audit = platform.members["todo"].url, platform.members["audit"].url
    user = new_user(platform, "broker")

    before = create_tasks(todo, user, 5)
    assert before.statuses == {201: 5}
    wait_for(lambda: len(audit_records(audit, user)), "warm-up", until=lambda n: n == 5, timeout=60)

    broker.stop()
    # Recurring tasks, created and completed while Kafka is down: each completion must
    # later travel todo -> recurring -> todo (the next occurrence) -> audit.
    during = create_tasks(
        todo, user, 20, complete=True, recurrence="daily", due_date=DUE, timezone="Europe/Berlin"
    )
    assert during.statuses == {201: 20, 200: 20}, during.statuses
    pending = outbox_pending(todo)
    assert pending is not None and pending > 0, "the outbox should hold the events"
    assert len(audit_records(audit, user)) == 5, "nothing can have travelled without Kafka"

    broker.start()
    expected = 5 + 20 * 4  # created; created, completed, recurring.task.created, next created
    wait_for(
        lambda: audit_records(audit, user),
        "audit catches up after the broker returns",
        until=lambda r: len(r) >= expected,
        timeout=120,
    )
    wait_for(
        lambda: outbox_pending(todo), "outbox lag back to 0", until=lambda n: n == 0, timeout=60
    )
    quiet(platform, "every event handled")
    records = audit_records(audit, user)

    assert duplicates(r["event_id"] for r in records) == {}
    assert len(records) == expected
    types = Counter(r["event_type"] for r in records)
    assert types == {"task.created": 45, "task.completed": 20, "recurring.task.created": 20}
    trail = trail_by_task(records)
    for task_id in before.created:
        assert trail[task_id] == ["task.created"]
    for task_id in during.created:
        assert trail[task_id] == ["task.created", "task.completed"]
    # every completed task got exactly one next occurrence, announced once and created once
    announced = [r["payload"] for r in records if r["event_type"] == "recurring.task.created"]
    assert sorted(p["parent_task_id"] for p in announced) == sorted(during.created)
    for payload in announced:
        assert trail[payload["id"]] == ["recurring.task.created", "task.created"]
    assert sorted(task_ids(todo, user)) == sorted(
        before.created + during.created + [p["id"] for p in announced]
    )


@pytest.mark.parametrize("victim", ["app", "sidecar"])
def test_a_killed_consumer_drains_its_backlog_exactly_once(selfhosted, quiet, victim: str) -> None:
    platform = selfhosted(app_ids=("todo", "audit"))
    todo, member = platform.members["todo"].url, platform.members["audit"]
    audit = member.url
    user = new_user(platform, f"kill-{victim}")

    warm = create_tasks(todo, user, 1)
    wait_for(lambda: len(audit_records(audit, user)), "warm-up", until=lambda n: n == 1, timeout=60)

    if victim == "app":
        crash(member.app)  # SIGKILL gunicorn and its worker; the sidecar keeps running
        assert port_closed(audit)
    else:
        member.sidecar.kill()  # SIGKILL daprd: its Kafka consumer vanishes mid-session

    burst = create_tasks(todo, user, 250, complete=True)  # 500 events on task-events
    assert burst.statuses == {201: 250, 200: 250}, burst.statuses
    wait_for(lambda: outbox_pending(todo), "all 500 in Kafka", until=lambda n: n == 0, timeout=120)
    if victim == "sidecar":
        assert len(audit_records(audit, user)) == 1, "no sidecar, no delivery"

    if victim == "app":
        member.start_app()
    else:
        member.sidecar.start()

    expected = 1 + 500
    drain(
        lambda: len(audit_records(audit, user)),
        expected,
        what="audit drains the backlog",
        timeout=150,
        stall=45,
    )
    quiet(platform, "the backlog drained")
    records = audit_records(audit, user)
    assert duplicates(r["event_id"] for r in records) == {}
    if len(records) != expected:
        kept = {r["event_id"] for r in records}
        dead = [
            f"{r.type} {r.task_id}"
            for r in dead_letters_of_user(platform.addresses.kafka_brokers, user)
            if envelope_id(r) not in kept
        ]
        pytest.fail(
            f"audit kept {len(records)} of {expected} records after its {victim} was killed; "
            f"{len(dead)} missing events are in task-events-dlq: {dead[:10]}"
        )
    trail = trail_by_task(records)
    assert set(trail) == set(warm.created + burst.created)
    for task_id in burst.created:
        assert trail[task_id] == ["task.created", "task.completed"], task_id


def test_the_same_event_twice_gives_one_record_one_notification_one_email(
    selfhosted, mailbox, quiet
) -> None:
    platform = selfhosted(app_ids=("audit", "notify"))
    audit, notify = platform.members["audit"], platform.members["notify"]
    user = new_user(platform, "dup")
    address = f"{user}@example.com"
    with user_session(user) as http:
        prefs = {"channels": ["in_app", "email"], "email": address}
        put = http.put(f"{notify.url}/api/notifications/preferences", json=prefs, timeout=10)
        assert put.status_code == 200, put.text

    task_id = str(uuid.uuid4())
    created = cloud_event("task.created", task_id, user, task_payload(task_id, user))
    reminder = {
        "task_id": task_id,
        "user_id": user,
        "title": "Call the plumber",
        "reminder_time": "2027-01-04T08:45:00Z",
        "due_date": "2027-01-04T09:00:00Z",
    }
    due = cloud_event("reminder.due", task_id, user, reminder)
    validate_event(created, topic="task-events", key=task_id)
    validate_event(due, topic="reminders", key=task_id)
    # the same reminder fired again under a new event id (the sweep and a job, say)
    refired = cloud_event("reminder.due", task_id, user, reminder)

    for envelope, topic in [(created, "task-events"), (due, "reminders")] * 2 + [
        (refired, "reminders")
    ]:
        publish(audit.sidecar, topic, envelope, task_id)

    # Wait until every copy was handled (the consumers count their outcomes), then count.
    def outcomes() -> tuple[float, float, float]:
        return (
            metric(audit.url, "todomesh_events_total", type="task.created", outcome="duplicate"),
            metric(notify.url, "todomesh_events_total", type="reminder.due", outcome="duplicate"),
            metric(notify.url, "todomesh_events_total", type="reminder.due", outcome="processed"),
        )

    wait_for(outcomes, "every copy handled", until=lambda o: o == (1, 1, 2), timeout=60)
    wait_for(lambda: len(mailbox.received()), "the email", until=lambda n: n >= 1, timeout=30)
    quiet(platform, "every copy handled and every email settled")

    records = audit_records(audit.url, user)
    assert [(r["event_id"], r["event_type"]) for r in records] == [(created["id"], "task.created")]
    with user_session(user) as http:
        inbox = http.get(f"{notify.url}/api/notifications", timeout=10).json()["items"]
    assert [(n["task_id"], n["channel"]) for n in inbox] == [(task_id, "in_app")]
    mails = [rcpt for rcpt, _ in mailbox.received() if address in rcpt]
    assert mails == [[address]], mailbox.received()


def test_a_poison_event_goes_to_the_dead_letter_topic_and_its_partition_flows_on(
    selfhosted, kafka_broker, quiet
) -> None:
    platform = selfhosted(app_ids=("todo", "audit"))
    todo, audit = platform.members["todo"], platform.members["audit"]
    user = new_user(platform, "poison")
    with user_session(user) as http:
        created = http.post(f"{todo.url}/api/tasks", json={"title": "poisoned"}, timeout=10)
        assert created.status_code == 201
        task_id = created.json()["id"]
        wait_for(
            lambda: len(audit_records(audit.url, user, task_id)),
            "the task's creation in the audit trail",
            until=lambda n: n == 1,
            timeout=60,
        )

        # Three kinds of poison on the task's own partition key: an unknown major
        # version, a required field missing, a field the handler cannot read.
        payload = task_payload(task_id, user)
        poison = [
            cloud_event("task.updated", task_id, user, payload, schema_version="9.0"),
            cloud_event("task.updated", task_id, user, payload, user_id=None),
            cloud_event("task.updated", task_id, user, payload, timestamp="yesterday"),
        ]
        for envelope in poison:
            publish(todo.sidecar, "task-events", envelope, task_id)
        # ...then real changes on the same key, behind the poison in the partition
        renamed = http.patch(
            f"{todo.url}/api/tasks/{task_id}", json={"title": "still flowing"}, timeout=10
        )
        assert renamed.status_code == 200
        done = http.post(f"{todo.url}/api/tasks/{task_id}/complete", timeout=10)
        assert done.status_code == 200

    records = wait_for(
        lambda: audit_records(audit.url, user, task_id),
        "the events behind the poison reach the audit trail",
        until=lambda r: len(r) >= 3,
        timeout=90,
    )
    poison_ids = {envelope["id"] for envelope in poison}
    quiet(platform, "the poison dead-lettered")
    letters = dead_letters(kafka_broker.bootstrap, poison_ids, timeout=60)
    assert Counter(envelope_id(r) for r in letters) == dict.fromkeys(poison_ids, 1)
    for letter in letters:
        assert letter.key == task_id.encode(), "the dead letter keeps its partition key"
        assert letter.envelope["subject"] == task_id

    records = audit_records(audit.url, user, task_id)
    assert [r["event_type"] for r in records] == ["task.created", "task.updated", "task.completed"]
    assert not poison_ids & {r["event_id"] for r in records}
    assert metric(audit.url, "todomesh_events_dropped_total") == 3

    # todo keeps each dead letter (its daprd subscribes to task-events-dlq) ...
    kept = wait_for(
        lambda: kept_letters(platform, poison_ids),
        "todo keeps the three dead letters",
        until=lambda found: len(found) == 3,
        timeout=60,
    )
    assert {(k["topic"], k["partition_key"], k["state"]) for k in kept} == {
        ("task-events-dlq", task_id, "dead")
    }
    # ... and a replay goes round again: task-events, audit's DROP, the dead-letter topic.
    first = min(kept, key=lambda k: k["id"])
    replayed = requests.post(
        f"{todo.url}/api/admin/dead-letters/{first['id']}/replay",
        headers=admin(platform),
        timeout=10,
    )
    assert replayed.status_code == 202, replayed.text
    wait_for(
        lambda: {k["event_id"]: k for k in kept_letters(platform, poison_ids)}[first["event_id"]],
        "the replayed poison event is dead-lettered again",
        until=lambda k: (k["state"], k["times_dead"], k["replays"]) == ("dead", 2, 1),
        timeout=90,
    )
    assert metric(audit.url, "todomesh_events_dropped_total") == 4
    assert not poison_ids & {r["event_id"] for r in audit_records(audit.url, user, task_id)}


def kept_letters(platform: SelfHostedPlatform, event_ids: set[str]) -> list[dict]:
    todo_url = platform.members["todo"].url
    response = requests.get(
        f"{todo_url}/api/admin/dead-letters", headers=admin(platform), timeout=10
    )
    response.raise_for_status()
    return [k for k in response.json()["items"] if k["event_id"] in event_ids]


def test_a_database_outage_answers_503_and_the_api_recovers_without_a_restart(
    selfhosted, quiet
) -> None:
    with PostgresServer() as database:
        platform = selfhosted(database_url=database.url, app_ids=("todo", "audit"))
        todo, audit = platform.members["todo"], platform.members["audit"]
        pids = {name: m.app.pid for name, m in platform.members.items()}
        sidecar_pids = {name: m.sidecar.process.pid for name, m in platform.members.items()}
        user = new_user(platform, "db")

        before = create_tasks(todo.url, user, 3)
        assert before.statuses == {201: 3}

        database.stop()
        with user_session(user) as http:
            attempts = [
                http.post(f"{todo.url}/api/tasks", json={"title": "lost?"}, timeout=10),
                http.post(f"{todo.url}/api/tasks/{before.created[0]}/complete", timeout=10),
                http.get(f"{todo.url}/api/tasks", timeout=10),
            ]
        for response in attempts:
            assert response.status_code == 503, (response.request.method, response.text)
            assert response.headers["Content-Type"] == PROBLEM_JSON
            assert response.json()["dependency"] == "database"
        for member in (todo, audit):
            status, body = ready(member.url)
            assert (status, body.get("dependency")) == (503, "database"), (member.app_id, body)

        database.start()
        # No restart: the same processes reconnect on their own.
        wait_for(
            lambda: ready(todo.url)[0], "todo ready again", until=lambda s: s == 200, timeout=30
        )
        after = create_tasks(todo.url, user, 3)
        assert after.statuses == {201: 3}
        with user_session(user) as http:
            done = http.post(f"{todo.url}/api/tasks/{before.created[0]}/complete", timeout=10)
            assert done.status_code == 200

        wait_for(
            lambda: audit_records(audit.url, user),
            "audit records every committed change",
            until=lambda r: len(r) >= 7,
            timeout=60,
        )
        quiet(platform, "every committed change handled")
        records = audit_records(audit.url, user)
        assert duplicates(r["event_id"] for r in records) == {}
        trail = trail_by_task(records)
        assert trail[before.created[0]] == ["task.created", "task.completed"]
        assert Counter(r["event_type"] for r in records) == {"task.created": 6, "task.completed": 1}
        assert sorted(task_ids(todo.url, user)) == sorted(before.created + after.created)
        assert {name: m.app.pid for name, m in platform.members.items()} == pids
        assert {name: m.sidecar.process.pid for name, m in platform.members.items()} == sidecar_pids
        platform.stop()  # before the database goes away
