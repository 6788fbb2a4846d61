"""Bulk deliveries (Dapr's `bulkSubscribe`) to each consumer: one request, one transaction,
and each entry its own idempotency and its own SUCCESS, RETRY or DROP."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

import functions.audit
import functions.recurring
from functions.audit.models import AuditRecord
from functions.hub.models import ReplayEntry
from functions.notify.models import Notification
from functions.shared.db import make_engine
from functions.shared.settings import Settings
from tests.support.functions import context_of
from tests.support.harness import (
    Deliverer,
    break_database,
    event_data,
    outbox,
    rows,
    statements,
    statuses_of,
)

pytestmark = pytest.mark.functions


def task_events(app: Flask) -> Deliverer:
    return Deliverer(app.test_client(), "/events/task-events", "task-events")


@pytest.fixture
def deliver(audit: Flask) -> Deliverer:
    return task_events(audit)


def audited(app: Flask) -> list[str]:
    return [r.event_id for r in rows(app, AuditRecord, AuditRecord.id)]


def test_a_batch_is_recorded_with_a_status_per_entry(audit: Flask, deliver: Deliverer) -> None:
    first, second = event_data("task_created"), event_data("task_completed")
    poison = {**event_data("task_created"), "schema_version": "2.0"}
    ignored = event_data("reminder_due")
    response = deliver.bulk(first, poison, ignored, second, first)
    assert response.status_code == 200
    assert statuses_of(response) == ["SUCCESS", "DROP", "SUCCESS", "SUCCESS", "SUCCESS"]
    assert audited(audit) == [first["event_id"], second["event_id"]]
    again = deliver.bulk(second, first)  # a redelivered batch changes nothing
    assert statuses_of(again) == ["SUCCESS", "SUCCESS"]
    assert audited(audit) == [first["event_id"], second["event_id"]]


def test_a_batch_of_40_events_takes_as_many_statements_as_one_of_3(
    audit: Flask, deliver: Deliverer
) -> None:
    """One claim and one insert of records for the whole batch, not two per event."""
    counts = []
    for size in (3, 40):
        batch = [event_data("task_created") for _ in range(size)]
        with statements(context_of(audit).engine) as seen:
            assert statuses_of(deliver.bulk(*batch)) == ["SUCCESS"] * size
        counts.append(len(seen))
        assert set(audited(audit)) >= {data["event_id"] for data in batch}
    assert counts[0] == counts[1], seen


@pytest.mark.postgres
def test_postgres_connections_do_not_hold_a_statement_for_an_ack(fresh_database: str) -> None:
    """TCP_NODELAY: without it, a multi-row insert larger than one TCP segment waits
    for the server's delayed ACK (40 ms) before its end is sent."""
    engine = make_engine(Settings(database_url=fresh_database), "audit")
    try:
        with engine.connect() as connection:
            sock = connection.connection.dbapi_connection._usock  # type: ignore[union-attr]
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        engine.dispose()


def test_an_entry_that_is_no_cloudevent_is_dropped_alone(deliver: Deliverer) -> None:
    response = deliver.client.post(
        deliver.path,
        json={
            "type": "com.dapr.event.sent.bulk",
            "entries": [{"entryId": "a", "event": "not an event"}, {"entryId": "b", "event": {}}],
        },
    )
    assert response.get_json() == {
        "statuses": [{"entryId": "a", "status": "DROP"}, {"entryId": "b", "status": "DROP"}]
    }


@pytest.mark.parametrize(
    "entries",
    [[{"event": {}}], [{"entryId": "a"}, {"entryId": "a"}], "not a list"],
    ids=["no entry id", "twice the same entry id", "entries not a list"],
)
def test_a_malformed_batch_is_a_bad_request(deliver: Deliverer, entries: Any) -> None:
    body = {"type": "com.dapr.event.sent.bulk", "entries": entries}
    response = deliver.client.post(deliver.path, json=body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_failing_entry_is_retried_alone_and_holds_its_task_behind_it(
    audit: Flask, deliver: Deliverer, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = event_data("task_created", task_id="broken")
    later = event_data("task_created", event_type="task.updated", task_id="broken")
    others = event_data("task_created"), event_data("task_created")
    record, record_all = functions.audit.record_event, functions.audit.record_events

    def fail_on(events: list[Any]) -> None:
        if any(event.event_id == failing["event_id"] for event in events):
            raise RuntimeError("handler bug")

    def record_or_fail(event: Any, uow: Any) -> None:
        record(event, uow)  # written, then rolled back with the entry's savepoint
        fail_on([event])

    def record_all_or_fail(events: list[Any], uow: Any) -> list[None]:
        recorded = record_all(events, uow)  # the batch form, tried first
        fail_on(events)
        return recorded

    monkeypatch.setattr(functions.audit, "record_event", record_or_fail)
    monkeypatch.setattr(functions.audit, "record_events", record_all_or_fail)
    response = deliver.bulk(others[0], failing, later, others[1])
    assert statuses_of(response) == ["SUCCESS", "RETRY", "RETRY", "SUCCESS"]
    assert audited(audit) == [others[0]["event_id"], others[1]["event_id"]]


def test_a_failing_entry_leaves_no_event_in_the_outbox(
    function_app: Callable[[str], Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    recurring = function_app("recurring")
    deliver = task_events(recurring)
    other = "0b9c7d1e-2f3a-4b5c-8d6e-7f8091a2b3c4"
    failing = event_data("task_completed")
    kept = event_data("task_completed", task_id=other, payload={"id": other})
    handle = functions.recurring.on_task_event

    def handle_or_fail(event: Any, uow: Any) -> Any:
        result = handle(event, uow)  # emits the next occurrence, then fails
        if event.event_id == failing["event_id"]:
            raise RuntimeError("handler bug")
        return result

    monkeypatch.setattr(functions.recurring, "on_task_event", handle_or_fail)
    assert statuses_of(deliver.bulk(failing, kept)) == ["RETRY", "SUCCESS"]
    assert len(outbox(recurring)) == 1  # the kept entry's next occurrence only
    monkeypatch.setattr(functions.recurring, "on_task_event", handle)
    assert statuses_of(deliver.bulk(failing, kept)) == ["SUCCESS", "SUCCESS"]
    assert len(outbox(recurring)) == 2


def test_database_down_retries_the_whole_batch(audit: Flask, deliver: Deliverer) -> None:
    break_database(audit)
    poison = {**event_data("task_created"), "user_id": None}
    response = deliver.bulk(event_data("task_created"), poison)
    assert response.status_code == 200
    assert statuses_of(response) == ["RETRY", "DROP"]


def test_a_batch_needs_the_sidecar_token_when_one_is_set(
    function_app: Callable[[str], Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_API_TOKEN", "sidecar-secret")
    app = function_app("audit")
    deliver = task_events(app)
    data = event_data("task_created")
    assert deliver.bulk(data, headers={"dapr-api-token": "wrong"}).status_code == 401
    accepted = deliver.bulk(data, headers={"dapr-api-token": "sidecar-secret"})
    assert statuses_of(accepted) == ["SUCCESS"]
    assert audited(app) == [data["event_id"]]


def test_the_hub_logs_a_batch_in_order(function_app: Callable[[str], Flask]) -> None:
    from functions.hub import create_app
    from functions.shared.settings import Settings
    from functions.shared.wiring import context

    hub = create_app(Settings.from_env())
    try:
        deliver = Deliverer(hub.test_client(), "/events/task-updates", "task-updates")
        created = event_data("task_created")
        updated = event_data("task_created", event_type="task.updated")
        assert statuses_of(deliver.bulk(created, updated, created)) == ["SUCCESS"] * 3
        logged = rows(hub, ReplayEntry, ReplayEntry.seq)
        assert [(r.seq, r.event_id) for r in logged] == [
            (1, created["event_id"]),
            (2, updated["event_id"]),
        ]
    finally:
        context(hub).stop()


def test_notify_sends_each_reminder_of_a_batch(function_app: Callable[[str], Flask]) -> None:
    notify = function_app("notify")
    deliver = Deliverer(notify.test_client(), "/events/reminders", "reminders")
    reminders = event_data("reminder_due"), event_data("reminder_due", task_id="other-task")
    assert statuses_of(deliver.bulk(*reminders)) == ["SUCCESS", "SUCCESS"]
    sent = [n for n in rows(notify, Notification, Notification.created_at) if n.status == "sent"]
    assert len(sent) == 2


def test_notify_takes_as_many_statements_for_40_reminders_as_for_3(
    function_app: Callable[[str], Flask],
) -> None:
    """The users' preferences in one query and the notifications in one insert, for the
    whole batch: not a query and an insert per reminder."""
    notify = function_app("notify")
    deliver = Deliverer(notify.test_client(), "/events/reminders", "reminders")
    counts = []
    for size in (3, 40):
        batch = [event_data("reminder_due", task_id=f"task-{size}-{n}") for n in range(size)]
        with statements(context_of(notify).engine) as seen:
            assert statuses_of(deliver.bulk(*batch)) == ["SUCCESS"] * size
        counts.append(len(seen))
    sent = [n for n in rows(notify, Notification, Notification.created_at) if n.status == "sent"]
    assert len(sent) == 43
    assert len(outbox(notify)) == 43  # a notification.sent for each
    assert counts[0] == counts[1], seen


def test_a_reminder_twice_in_one_batch_is_notified_once(
    function_app: Callable[[str], Flask],
) -> None:
    notify = function_app("notify")
    deliver = Deliverer(notify.test_client(), "/events/reminders", "reminders")
    first = event_data("reminder_due")
    twin = {**first, "event_id": event_data("reminder_due")["event_id"]}  # fired twice
    assert statuses_of(deliver.bulk(first, twin)) == ["SUCCESS", "SUCCESS"]
    assert len(rows(notify, Notification, Notification.created_at)) == 1
    assert len(outbox(notify)) == 1
