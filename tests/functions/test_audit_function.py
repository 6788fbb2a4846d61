"""The audit function over the CloudEvents harness: what it stores, what it answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from functions.audit.models import AuditRecord
from tests.support.harness import (
    Deliverer,
    break_database,
    context_of,
    event_data,
    rows,
    status_of,
)
from tests.support.identity import As

pytestmark = pytest.mark.functions

ALICE = As("alice")


@pytest.fixture
def deliver(audit: Flask) -> Deliverer:
    return Deliverer(audit.test_client(), "/events/task-events", "task-events")


def records(app: Flask) -> list[AuditRecord]:
    return rows(app, AuditRecord, AuditRecord.id)


def test_a_dapr_delivery_is_recorded_with_the_event_time(audit: Flask, deliver: Deliverer) -> None:
    data = event_data("task_created")
    response = deliver.dapr(data)
    assert response.status_code == 200
    assert response.get_json() == {"status": "SUCCESS"}
    [record] = records(audit)
    assert (record.event_id, record.event_type, record.task_id, record.user_id) == (
        data["event_id"],
        "task.created",
        data["task_id"],
        "alice",
    )
    assert record.payload == data["payload"]
    assert record.occurred_at.isoformat() == "2026-03-02T08:00:00+00:00"
    assert record.recorded_at > record.occurred_at


def test_a_knative_binary_delivery_is_recorded(audit: Flask, deliver: Deliverer) -> None:
    response = deliver.knative(event_data("task_completed"))
    assert response.status_code == 200
    assert status_of(response) == "SUCCESS"
    assert [r.event_type for r in records(audit)] == ["task.completed"]


def test_a_redelivery_changes_nothing(audit: Flask, deliver: Deliverer) -> None:
    data = event_data("task_created")
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert status_of(deliver.dapr(data)) == "SUCCESS"
    assert status_of(deliver.knative(data)) == "SUCCESS"
    assert len(records(audit)) == 1


def test_every_task_event_type_is_recorded(audit: Flask, deliver: Deliverer) -> None:
    for event_type in (
        "task.created",
        "task.updated",
        "task.completed",
        "task.deleted",
        "recurring.task.created",
    ):
        assert status_of(deliver.dapr(event_data("task_created", event_type=event_type))) == (
            "SUCCESS"
        )
    assert len(records(audit)) == 5


def test_other_event_types_are_acknowledged_untouched(audit: Flask, deliver: Deliverer) -> None:
    response = deliver.dapr(event_data("reminder_due"))
    assert status_of(response) == "SUCCESS"
    assert records(audit) == []


def test_unknown_fields_are_accepted(audit: Flask, deliver: Deliverer) -> None:
    data = event_data("task_created", schema_version="1.7", shard=3, payload={"colour": "red"})
    assert status_of(deliver.dapr(data, partitionkey="k")) == "SUCCESS"
    assert records(audit)[0].payload["colour"] == "red"


def dropped(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "todomesh_events_dropped_total", {"app": "audit", "reason": reason}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"schema_version": "2.0"}, "unsupported_version"),
        ({"user_id": None}, "malformed"),
        ({"payload": "not an object"}, "malformed"),
        ({"timestamp": "yesterday"}, "malformed"),
    ],
)
def test_poison_is_dropped_and_counted(
    audit: Flask, deliver: Deliverer, change: dict[str, Any], reason: str
) -> None:
    data = {**event_data("task_created"), **change}
    before = dropped(reason)
    response = deliver.dapr(data)
    assert (response.status_code, status_of(response)) == (200, "DROP")
    assert dropped(reason) == before + 1
    binary = deliver.knative(data)
    assert binary.status_code == 422
    assert binary.mimetype == "application/problem+json"
    assert records(audit) == []


def test_a_body_that_is_not_json_is_dropped(deliver: Deliverer) -> None:
    response = deliver.dapr("not an object")
    assert (response.status_code, status_of(response)) == (200, "DROP")


def test_database_down_asks_for_redelivery(audit: Flask, deliver: Deliverer) -> None:
    data = event_data("task_created")
    break_database(audit)
    response = deliver.dapr(data)
    assert (response.status_code, status_of(response)) == (503, "RETRY")
    assert deliver.knative(data).status_code == 503
    assert audit.test_client().get("/ready").status_code == 503


def test_health_and_readiness(audit: Flask) -> None:
    client = audit.test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


def test_records_cannot_be_changed(audit: Flask, deliver: Deliverer) -> None:
    deliver.dapr(event_data("task_created"))
    with context_of(audit).sessions() as session:
        record = session.get(AuditRecord, 1)
        assert record is not None
        record.event_type = "task.deleted"
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
        record = session.get(AuditRecord, 1)
        session.delete(record)
        with pytest.raises(PermissionError):
            session.flush()


RECORDS = AuditRecord.__table__


@pytest.mark.parametrize(
    "statement",
    [RECORDS.update().values(event_type="task.deleted"), RECORDS.delete()],
    ids=["update", "delete"],
)
def test_the_database_refuses_changes_made_behind_the_orm(
    audit: Flask, deliver: Deliverer, statement: Executable
) -> None:
    deliver.dapr(event_data("task_created"))
    engine = context_of(audit).engine
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(statement)
    [record] = records(audit)
    assert record.event_type == "task.created"


def trail(
    deliver: Deliverer, *types_and_times: tuple[str, str], task_id: str | None = None
) -> None:
    for event_type, timestamp in types_and_times:
        data = event_data("task_created", event_type=event_type, timestamp=timestamp)
        if task_id:
            data["task_id"] = data["payload"]["id"] = task_id
        assert status_of(deliver.dapr(data)) == "SUCCESS"


def test_the_trail_is_chronological_and_paged(audit: Flask, deliver: Deliverer) -> None:
    trail(
        deliver,
        ("task.updated", "2026-03-02T10:00:00Z"),
        ("task.created", "2026-03-02T09:00:00Z"),
        ("task.completed", "2026-03-02T11:00:00+01:00"),
        ("task.deleted", "2026-03-02T12:00:00Z"),
    )
    client = audit.test_client()
    first = client.get("/api/audit/alice?limit=3", headers=ALICE).get_json()
    assert [i["event_type"] for i in first["items"]] == [
        "task.created",
        "task.updated",
        "task.completed",
    ]
    assert first["items"][2]["occurred_at"] == "2026-03-02T10:00:00Z"
    second = client.get(
        f"/api/audit/alice?limit=3&cursor={first['next_cursor']}", headers=ALICE
    ).get_json()
    assert [i["event_type"] for i in second["items"]] == ["task.deleted"]
    assert second["next_cursor"] is None


def test_filters_by_type_and_time(audit: Flask, deliver: Deliverer) -> None:
    trail(
        deliver,
        ("task.created", "2026-03-02T09:00:00Z"),
        ("task.updated", "2026-03-02T10:00:00Z"),
        ("task.updated", "2026-03-02T11:00:00Z"),
        ("task.completed", "2026-03-02T12:00:00Z"),
    )
    client = audit.test_client()

    def times(query: str) -> list[str]:
        body = client.get(f"/api/audit/alice?{query}", headers=ALICE).get_json()
        return [i["occurred_at"][11:13] for i in body["items"]]

    assert times("type=task.updated") == ["10", "11"]
    assert times("since=2026-03-02T10:00:00Z") == ["10", "11", "12"]
    assert times("until=2026-03-02T11:00:00%2B00:00") == ["09", "10"]
    assert times("type=task.updated&since=2026-03-02T10:30:00Z") == ["11"]


def test_one_tasks_trail(audit: Flask, deliver: Deliverer) -> None:
    other = str(uuid.uuid4())
    trail(deliver, ("task.created", "2026-03-02T09:00:00Z"))
    trail(
        deliver,
        ("task.created", "2026-03-02T09:30:00Z"),
        ("task.deleted", "2026-03-02T10:00:00Z"),
        task_id=other,
    )
    body = audit.test_client().get(f"/api/audit/alice/task/{other}", headers=ALICE).get_json()
    assert [(i["task_id"], i["event_type"]) for i in body["items"]] == [
        (other, "task.created"),
        (other, "task.deleted"),
    ]


def test_bad_filters_are_one_422(audit: Flask) -> None:
    response = audit.test_client().get(
        "/api/audit/alice?type=task.exploded&since=2026-03-02T10:00:00&limit=0&cursor=zzz",
        headers=ALICE,
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"type", "since", "limit", "cursor"}


def test_since_after_until_is_422(audit: Flask) -> None:
    response = audit.test_client().get(
        "/api/audit/alice?since=2026-03-03T00:00:00Z&until=2026-03-02T00:00:00Z", headers=ALICE
    )
    assert response.status_code == 422


def test_only_the_owner_or_an_admin_reads_a_trail(audit: Flask, deliver: Deliverer) -> None:
    trail(deliver, ("task.created", "2026-03-02T09:00:00Z"))
    client = audit.test_client()
    denied = client.get("/api/audit/alice", headers=As("mallory"))
    assert denied.status_code == 403
    assert denied.mimetype == "application/problem+json"
    assert client.get("/api/audit/alice").status_code == 401
    admin = client.get("/api/audit/alice", headers=As("root", admin=True))
    assert len(admin.get_json()["items"]) == 1
    assert client.get("/api/audit/bob", headers=As("bob")).get_json()["items"] == []
