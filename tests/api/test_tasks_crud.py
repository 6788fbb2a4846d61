"""Create, read, update, complete and delete, and what each tells the world."""

from __future__ import annotations

import pytest

from tests.support.api import Api, types_on
from tests.support.identity import As

pytestmark = pytest.mark.api

LIFECYCLE = "task-events"
UPDATES = "task-updates"


def test_create_answers_201_with_location_etag_and_the_task(alice: Api, client) -> None:
    response = client.post(
        "/api/tasks",
        json={
            "title": "  Write report ",
            "description": "Q3 numbers",
            "priority": "high",
            "tags": ["work", "q3", "work"],
            "due_date": "2027-01-31T09:00:00+01:00",
        },
        headers=As("alice"),
    )
    assert response.status_code == 201
    task = response.get_json()
    assert response.headers["Location"] == f"/api/tasks/{task['id']}"
    assert response.headers["ETag"] == '"1"'
    assert task["title"] == "Write report"
    assert task["user_id"] == "alice"
    assert task["status"] == "pending"
    assert task["priority"] == "high"
    assert task["tags"] == ["work", "q3"]
    assert task["due_date"] == "2027-01-31T08:00:00Z"
    assert task["version"] == 1
    assert task["completed_at"] is None
    assert len(task["id"]) == 36


def test_create_emits_task_created_on_both_topics_keyed_by_task(alice: Api, outbox) -> None:
    task = alice.create(title="Plan trip")
    events = outbox()
    assert [(t, k) for t, k, _ in events] == [(LIFECYCLE, task["id"]), (UPDATES, task["id"])]
    envelope = events[0][2]
    assert envelope["type"] == "task.created"
    assert envelope["subject"] == task["id"]
    assert envelope["source"] == "todo"
    assert envelope["specversion"] == "1.0"
    data = envelope["data"]
    assert data["event_id"] == envelope["id"]
    assert data["event_type"] == "task.created"
    assert data["schema_version"] == "1.1"
    assert data["task_id"] == task["id"]
    assert data["user_id"] == "alice"
    assert data["payload"] == task


def test_get_returns_the_task_with_its_etag(alice: Api) -> None:
    task = alice.create()
    response = alice.get(f"/api/tasks/{task['id']}")
    assert response.status_code == 200
    assert response.get_json() == task
    assert response.headers["ETag"] == '"1"'


def test_patch_changes_only_the_given_fields_and_bumps_version(alice: Api, outbox) -> None:
    task = alice.create(title="Old", priority="low", tags=["a"])
    response = alice.patch(f"/api/tasks/{task['id']}", json={"title": "New"})
    assert response.status_code == 200
    updated = response.get_json()
    assert updated["title"] == "New"
    assert updated["priority"] == "low"
    assert updated["tags"] == ["a"]
    assert updated["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert types_on(outbox(), LIFECYCLE) == ["task.created", "task.updated"]
    assert outbox()[-1][2]["data"]["payload"]["title"] == "New"


def test_patch_with_current_if_match_succeeds(alice: Api) -> None:
    task = alice.create()
    response = alice.patch(
        f"/api/tasks/{task['id']}", json={"priority": "high"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert response.get_json()["version"] == 2


def test_patch_with_stale_if_match_is_412_and_changes_nothing(alice: Api, outbox) -> None:
    task = alice.create()
    alice.patch(f"/api/tasks/{task['id']}", json={"title": "Second"})
    response = alice.patch(
        f"/api/tasks/{task['id']}", json={"title": "Lost update"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 412
    assert response.content_type == "application/problem+json"
    assert response.get_json()["current_version"] == 2
    assert alice.get(f"/api/tasks/{task['id']}").get_json()["title"] == "Second"
    assert types_on(outbox(), LIFECYCLE) == ["task.created", "task.updated"]


def test_patch_without_changes_emits_nothing(alice: Api, outbox) -> None:
    task = alice.create(title="Same")
    response = alice.patch(f"/api/tasks/{task['id']}", json={"title": "Same"})
    assert response.status_code == 200
    assert response.get_json()["version"] == 1
    assert types_on(outbox(), LIFECYCLE) == ["task.created"]


def test_complete_is_idempotent_and_emits_one_event(alice: Api, outbox) -> None:
    task = alice.create()
    first = alice.post(f"/api/tasks/{task['id']}/complete")
    second = alice.post(f"/api/tasks/{task['id']}/complete")
    assert first.status_code == second.status_code == 200
    assert first.get_json()["status"] == "complete"
    assert first.get_json()["completed_at"] is not None
    assert second.get_json() == first.get_json()
    assert types_on(outbox(), LIFECYCLE) == ["task.created", "task.completed"]
    assert types_on(outbox(), UPDATES) == ["task.created", "task.completed"]


def test_patch_to_complete_is_a_completion(alice: Api, outbox) -> None:
    task = alice.create()
    response = alice.patch(f"/api/tasks/{task['id']}", json={"status": "complete"})
    assert response.get_json()["completed_at"] is not None
    assert types_on(outbox(), LIFECYCLE) == ["task.created", "task.completed"]


def test_delete_answers_204_then_the_task_is_gone(alice: Api, outbox) -> None:
    task = alice.create()
    response = alice.delete(f"/api/tasks/{task['id']}")
    assert response.status_code == 204
    assert response.data == b""
    assert alice.get(f"/api/tasks/{task['id']}").status_code == 404
    assert alice.delete(f"/api/tasks/{task['id']}").status_code == 404
    assert alice.get("/api/tasks").get_json()["items"] == []
    assert types_on(outbox(), LIFECYCLE) == ["task.created", "task.deleted"]


def test_another_users_task_does_not_exist_for_them(alice: Api, bob: Api, outbox) -> None:
    task = alice.create()
    path = f"/api/tasks/{task['id']}"
    assert bob.get(path).status_code == 404
    assert bob.patch(path, json={"title": "mine now"}).status_code == 404
    assert bob.post(f"{path}/complete").status_code == 404
    assert bob.delete(path).status_code == 404
    assert bob.get("/api/tasks").get_json()["items"] == []
    assert alice.get(path).get_json() == task
    assert types_on(outbox(), LIFECYCLE) == ["task.created"]
