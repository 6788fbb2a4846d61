"""The function author's harness (tests/support/harness.py), used as docs/functions.md shows:
events built from the contract, delivered in-process both ways, effects read from the tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from functions.audit.models import AuditRecord
from functions.identity.tokens import DEFAULT_ISSUER
from functions.notify.models import Notification
from functions.recurring.models import Series
from tests.support.contract import ContractViolation, event_types
from tests.support.functions import (
    bearer,
    build_function,
    context_of,
    contract_event,
    deliver,
    outbox,
    rows,
    status_of,
)

pytestmark = pytest.mark.functions


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[Flask]]:
    """Apps a test builds with `build_function`, which accept `bearer` tokens (the issuer
    `todomesh token` names on a fresh data directory); stopped after the test."""
    monkeypatch.setenv("TODOMESH_DATA_DIR", str(tmp_path / "fresh"))  # no session identity
    monkeypatch.setenv("TODOMESH_TOKEN_ISSUER", DEFAULT_ISSUER)
    apps: list[Flask] = []
    yield apps
    for app in apps:
        context_of(app).stop()


def function(built: list[Flask], target: str) -> Flask:
    app = build_function(target)
    built.append(app)
    return app


@pytest.mark.parametrize("event_type", event_types())
def test_the_harness_builds_a_valid_event_of_every_contract_type(event_type: str) -> None:
    envelope = contract_event(event_type, user_id="ann")
    assert (envelope["type"], envelope["data"]["user_id"]) == (event_type, "ann")


def test_an_event_the_contract_refuses_is_not_built() -> None:
    with pytest.raises(ContractViolation, match="version"):
        contract_event("task.completed", version=1)


def test_audit_records_a_structured_and_a_binary_delivery_once_each(built) -> None:
    audit = function(built, "audit")
    created = contract_event("task.created", user_id="ann")
    completed = contract_event("task.completed", user_id="ann", task_id=created["subject"])

    assert status_of(deliver(audit, created)) == "SUCCESS"  # as Dapr sends it
    binary = deliver(audit, completed, binary=True)  # as Knative sends it
    assert (binary.status_code, status_of(binary)) == (200, "SUCCESS")
    assert status_of(deliver(audit, created)) == "SUCCESS"  # a redelivery

    trail = rows(audit, AuditRecord, AuditRecord.id)
    assert [(r.event_id, r.event_type) for r in trail] == [
        (created["id"], "task.created"),
        (completed["id"], "task.completed"),
    ]
    reply = audit.test_client().get("/api/audit/ann", headers=bearer(audit, "ann"))
    assert [item["event_id"] for item in reply.get_json()["items"]] == [r.event_id for r in trail]


def test_recurring_announces_the_next_occurrence_of_a_completed_daily_task(built) -> None:
    recurring = function(built, "recurring")
    done = contract_event("task.completed", recurrence="daily", due_date="2027-01-04T09:00:00Z")

    assert status_of(deliver(recurring, done)) == "SUCCESS"
    [series] = rows(recurring, Series)
    assert series.id == done["subject"]
    [(topic, key, announced)] = outbox(recurring)
    assert (topic, key, announced["type"]) == ("task-events", key, "recurring.task.created")
    assert announced["data"]["payload"]["due_date"] == "2027-01-05T09:00:00Z"


def test_notify_puts_a_due_reminder_in_the_inbox(built) -> None:
    notify = function(built, "notify")
    due = contract_event("reminder.due", user_id="ann", title="Call mum")

    assert status_of(deliver(notify, due, topic="reminders")) == "SUCCESS"
    [note] = rows(notify, Notification)
    assert (note.user_id, note.title, note.channel, note.status) == (
        "ann",
        "Call mum",
        "in_app",
        "sent",
    )
    [(topic, _, sent)] = outbox(notify)
    assert (topic, sent["type"]) == ("notifications", "notification.sent")
