"""Dead letters: todo keeps what subscribers gave up on, and an administrator replays it."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from sqlalchemy import update

from functions.shared.events import utcnow
from functions.shared.settings import Settings
from functions.todo import create_app, dead_letters
from functions.todo.dead_letters import routes as dead_letter_routes
from functions.todo.models import DeadLetter
from tests.api.conftest import Api
from tests.functions.harness import break_database, context_of
from tests.support.envelopes import cloud_event

LETTERS = "/api/admin/dead-letters"
ADMIN = {"X-User-Role": "admin"}
# What daprd adds when it delivers; a replay must not carry it back.
DAPR_FIELDS = {"pubsubname": "pubsub", "topic": "task-events-dlq", "traceid": "00-ab-cd-01"}


def letter_event(
    event_type: str = "task.updated", task_id: str | None = None, payload: Any = None
) -> dict[str, Any]:
    """An event of an unknown major version, as a subscriber would have dead-lettered it."""
    task_id = task_id or str(uuid.uuid4())
    return cloud_event(
        event_type,
        task_id,
        "alice",
        payload or {"id": task_id},
        moment="2026-03-02T08:00:00Z",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        schema_version="9.0",
    )


def dead_letter(client: FlaskClient, envelope: dict[str, Any], topic: str = "task-events-dlq"):
    """daprd delivering a dead letter in structured mode, with its own fields added."""
    return client.post(
        f"/events/dead-letters/{topic}",
        data=json.dumps({**envelope, **DAPR_FIELDS, "topic": topic}),
        content_type="application/cloudevents+json",
    )


def letters(admin: Api, query: str = "") -> list[dict[str, Any]]:
    response = admin.get(f"{LETTERS}{query}", headers=ADMIN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def replay(admin: Api, letter_id: int) -> Any:
    return admin.post(f"{LETTERS}/{letter_id}/replay", headers=ADMIN)


@pytest.fixture
def admin(client: FlaskClient) -> Api:
    return Api(client, "root")


def test_a_dead_letter_is_kept_once_without_daprs_fields(client: FlaskClient, admin: Api) -> None:
    envelope = letter_event()
    for _ in range(2):  # Kafka redelivers, or two subscribers dead-letter the same event
        response = dead_letter(client, envelope)
        assert response.status_code == 200
        assert response.get_json() == {"status": "SUCCESS"}

    [letter] = letters(admin)
    assert letter["topic"] == "task-events-dlq"
    assert letter["original_topic"] == "task-events"
    assert (letter["event_id"], letter["event_type"]) == (envelope["id"], "task.updated")
    assert letter["partition_key"] == envelope["subject"]
    assert (letter["state"], letter["times_dead"], letter["replays"]) == ("dead", 1, 0)
    assert letter["envelope"] == envelope
    assert letter["replayed_at"] is None


def test_a_replay_republishes_the_event_unchanged_through_the_outbox(
    client: FlaskClient, admin: Api, outbox: Any
) -> None:
    envelope = letter_event()
    dead_letter(client, envelope)
    [letter] = letters(admin)

    response = replay(admin, letter["id"])

    assert response.status_code == 202
    replayed = response.get_json()
    assert (replayed["state"], replayed["replays"]) == ("replayed", 1)
    assert replayed["replayed_at"] is not None
    assert outbox() == [("task-events", envelope["subject"], envelope)]
    again = replay(admin, letter["id"])
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"
    assert len(outbox()) == 1


def test_a_letter_that_comes_back_after_a_replay_is_dead_again(
    client: FlaskClient, admin: Api, outbox: Any
) -> None:
    envelope = letter_event()
    dead_letter(client, envelope, "reminders-dlq")
    [letter] = letters(admin)
    assert replay(admin, letter["id"]).status_code == 202

    dead_letter(client, envelope, "reminders-dlq")  # still poison: dropped again

    [back] = letters(admin)
    assert (back["id"], back["state"], back["times_dead"], back["replays"]) == (
        letter["id"],
        "dead",
        2,
        1,
    )
    assert back["last_dead_at"] >= back["first_dead_at"]
    assert replay(admin, letter["id"]).status_code == 202
    assert [(topic, key) for topic, key, _ in outbox()] == [
        ("reminders", envelope["subject"]),
        ("reminders", envelope["subject"]),
    ]


def test_a_binary_mode_delivery_is_kept_too(client: FlaskClient, admin: Api) -> None:
    envelope = letter_event("reminder.due")
    headers = {
        f"ce-{name}": value
        for name, value in envelope.items()
        if name not in ("data", "datacontenttype")
    }
    response = client.post(
        "/events/dead-letters/reminders-dlq",
        data=json.dumps(envelope["data"]),
        headers=headers,
        content_type="application/json",
    )
    assert response.status_code == 200
    [letter] = letters(admin)
    assert letter["envelope"] == envelope


def test_a_body_that_is_no_cloudevent_is_kept_raw_and_never_replayed(
    client: FlaskClient, admin: Api, outbox: Any
) -> None:
    response = client.post(
        "/events/dead-letters/notifications-dlq", data=b"\x00garbage", content_type="text/plain"
    )
    assert response.status_code == 200
    [letter] = letters(admin)
    assert (letter["state"], letter["envelope"]) == ("kept", {"raw": "\x00garbage"})
    assert letter["event_id"].startswith("sha256:")
    refused = replay(admin, letter["id"])
    assert refused.status_code == 409
    assert "not a CloudEvent" in refused.get_json()["detail"]
    bulk = admin.post(f"{LETTERS}/replay", json={}, headers=ADMIN).get_json()
    assert bulk == {"replayed": 0, "superseded": 0, "remaining": 0}
    assert outbox() == []


def test_replaying_a_topic_replays_only_its_dead_letters(
    client: FlaskClient, admin: Api, outbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dead_letter_routes, "REPLAY_BATCH", 2)
    events = [letter_event() for _ in range(3)]
    for envelope in events:
        dead_letter(client, envelope)
    other = letter_event("notification.sent")
    dead_letter(client, other, "notifications-dlq")
    dead_letter(client, letter_event(), "task-events-dlq")
    garbage = client.post("/events/dead-letters/task-events-dlq", data=b"x")  # kept, first
    assert garbage.status_code == 200

    def replay_topic() -> Any:
        body = {"topic": "task-events-dlq"}
        response = admin.post(f"{LETTERS}/replay", json=body, headers=ADMIN)
        assert response.status_code == 202
        return response.get_json()

    assert replay_topic() == {"replayed": 2, "superseded": 0, "remaining": 2}
    assert replay_topic() == {"replayed": 2, "superseded": 0, "remaining": 0}
    assert replay_topic() == {"replayed": 0, "superseded": 0, "remaining": 0}
    assert [envelope["id"] for _, _, envelope in outbox()][:3] == [e["id"] for e in events]
    assert {t["event_id"] for t in letters(admin, "?state=dead")} == {other["id"]}
    everything = admin.post(f"{LETTERS}/replay", json={}, headers=ADMIN).get_json()
    assert everything == {"replayed": 1, "superseded": 0, "remaining": 0}
    assert letters(admin, "?state=dead") == []
    assert len(letters(admin, "?state=kept")) == 1


def test_an_older_task_updates_snapshot_is_superseded_not_replayed(
    client: FlaskClient, admin: Api, alice: Api, outbox: Any
) -> None:
    task = alice.create(title="v1")
    assert alice.patch(f"/api/tasks/{task['id']}", json={"title": "v2"}).status_code == 200
    stale, current = (
        letter_event(task_id=task["id"], payload={**task, "version": version}) for version in (1, 2)
    )
    for envelope in (stale, current):
        dead_letter(client, envelope, "task-updates-dlq")
    written = len(outbox())
    stale_letter, current_letter = letters(admin)

    refused = replay(admin, stale_letter["id"])
    assert refused.status_code == 409
    assert "version 2" in refused.get_json()["detail"]
    assert replay(admin, current_letter["id"]).status_code == 202
    assert [envelope["id"] for _, _, envelope in outbox()[written:]] == [current["id"]]
    states = {t["event_id"]: t["state"] for t in letters(admin)}
    assert states == {stale["id"]: "superseded", current["id"]: "replayed"}
    assert replay(admin, stale_letter["id"]).status_code == 409


def test_a_superseded_snapshot_is_counted_in_a_bulk_replay(
    client: FlaskClient, admin: Api, alice: Api
) -> None:
    task = alice.create(title="v1")
    alice.patch(f"/api/tasks/{task['id']}", json={"title": "v2"})
    stale = letter_event(task_id=task["id"], payload={**task, "version": 1})
    dead_letter(client, stale, "task-updates-dlq")
    bulk = admin.post(f"{LETTERS}/replay", json={}, headers=ADMIN).get_json()
    assert bulk == {"replayed": 0, "superseded": 1, "remaining": 0}


def test_only_arrivals_are_counted_not_redeliveries(client: FlaskClient, admin: Api) -> None:
    def received() -> float:
        value = REGISTRY.get_sample_value("todomesh_dead_letters_total", {"topic": "reminders-dlq"})
        return value or 0.0

    before = received()
    envelope = letter_event("reminder.due")
    dead_letter(client, envelope, "reminders-dlq")
    dead_letter(client, envelope, "reminders-dlq")  # a redelivery
    assert received() == before + 1
    [letter] = letters(admin)
    replay(admin, letter["id"])
    dead_letter(client, envelope, "reminders-dlq")  # back after the replay
    assert received() == before + 2


def test_a_letter_that_cannot_be_stored_is_parked(
    client: FlaskClient, admin: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(dead_letter_routes, "record", broken)
    response = dead_letter(client, letter_event())
    assert response.status_code == 200
    assert response.get_json()["status"] == "DROP"  # daprd parks it: dead-letters-parked


def test_settled_letters_are_pruned_and_dead_ones_kept(
    todo_app: Flask, client: FlaskClient, admin: Api
) -> None:
    for envelope in (letter_event(), letter_event()):
        dead_letter(client, envelope)
    client.post("/events/dead-letters/task-events-dlq", data=b"x")  # kept
    first = letters(admin)[0]
    replay(admin, first["id"])
    ctx = context_of(todo_app)
    with ctx.sessions.begin() as session:
        session.execute(update(DeadLetter).values(last_dead_at=utcnow() - timedelta(days=30)))

    assert dead_letters.prune_dead_letters(ctx, retention_days=14) == 2

    assert [t["state"] for t in letters(admin)] == ["dead"]


def test_the_list_is_oldest_first_filtered_and_paged(client: FlaskClient, admin: Api) -> None:
    events = [letter_event() for _ in range(3)]
    for envelope in events:
        dead_letter(client, envelope, "task-updates-dlq")
    dead_letter(client, letter_event(), "reminders-dlq")

    first = admin.get(f"{LETTERS}?topic=task-updates-dlq&limit=2", headers=ADMIN).get_json()
    cursor = first["next_cursor"]
    second = admin.get(f"{LETTERS}?topic=task-updates-dlq&cursor={cursor}", headers=ADMIN)
    page = second.get_json()

    ids = [t["event_id"] for t in first["items"] + page["items"]]
    assert ids == [e["id"] for e in events]
    assert page["next_cursor"] is None


def test_an_unknown_topic_is_404(client: FlaskClient) -> None:
    response = dead_letter(client, letter_event(), "task-events")
    assert response.status_code == 404


def test_only_the_sidecar_delivers_dead_letters(settings: Settings) -> None:
    app = create_app(settings.replace(app_api_token="sidecar-secret"))
    try:
        client = app.test_client()
        assert dead_letter(client, letter_event()).status_code == 401
        delivered = client.post(
            "/events/dead-letters/task-events-dlq",
            data=json.dumps(letter_event()),
            content_type="application/cloudevents+json",
            headers={"dapr-api-token": "sidecar-secret"},
        )
        assert delivered.status_code == 200
    finally:
        context_of(app).stop()


def test_a_dead_letter_that_cannot_be_stored_is_asked_for_again(
    todo_app: Flask, client: FlaskClient
) -> None:
    break_database(todo_app)
    response = dead_letter(client, letter_event())
    assert response.status_code == 503
    assert response.get_json()["status"] == "RETRY"
