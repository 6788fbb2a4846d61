"""Bad input gets RFC 9457 problem+json naming what is wrong, and writes nothing."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.identity import As

pytestmark = pytest.mark.api

PROBLEM = "application/problem+json"


def _fields(response) -> set[str]:
    return {e["field"] for e in response.get_json()["errors"]}


def test_invalid_json_is_400(alice: Api, outbox) -> None:
    response = alice.post(
        "/api/tasks", data=b'{"title": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == 400
    assert body["title"] == "Invalid JSON"
    assert body["instance"] == "/api/tasks"
    assert outbox() == []


def test_a_call_without_a_token_is_401(client) -> None:
    response = client.get("/api/tasks")
    assert response.status_code == 401
    assert response.content_type == PROBLEM
    assert "bearer token" in response.get_json()["detail"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="todomesh"'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 7}, "title"),
        ({"title": "Call\r\nBcc: everyone@example.com"}, "title"),
        ({"title": "t", "status": "done"}, "status"),
        ({"title": "t", "priority": "urgent"}, "priority"),
        ({"title": "t", "tags": "work"}, "tags"),
        ({"title": "t", "tags": [""]}, "tags"),
        ({"title": "t", "due_date": "2027-01-31T09:00:00"}, "due_date"),
        ({"title": "t", "due_date": "tomorrow"}, "due_date"),
        ({"title": "t", "reminder_time": "2027-13-01T09:00:00Z"}, "reminder_time"),
        ({"title": "t", "recurrence": "hourly-ish"}, "recurrence"),
        ({"title": "t", "recurrence": "daily"}, "due_date"),
        (
            {
                "title": "t",
                "due_date": "2027-01-01T09:00:00Z",
                "recurrence": "FREQ=WEEKLY;BYDAY=" + ",".join(["MO"] * 200),
            },
            "recurrence",
        ),
        ({"title": "t", "timezone": "Mars/Olympus"}, "timezone"),
        ({"title": "t", "colour": "red"}, "colour"),
        (
            {"title": "t", "parent_task_id": "00000000-0000-0000-0000-000000000000"},
            "parent_task_id",
        ),
    ],
)
def test_validation_failure_is_422_naming_the_field(alice: Api, outbox, body, field) -> None:
    response = alice.post("/api/tasks", json=body)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert field in _fields(response)
    assert alice.get("/api/tasks").get_json()["items"] == []
    assert outbox() == []


def test_all_bad_fields_are_reported_at_once(alice: Api) -> None:
    response = alice.post("/api/tasks", json={"title": "", "priority": "x", "status": "y"})
    assert _fields(response) == {"title", "priority", "status"}


def test_a_json_array_is_422(alice: Api) -> None:
    response = alice.post("/api/tasks", json=["title"])
    assert response.status_code == 422
    assert _fields(response) == {"body"}


def test_invalid_patch_is_422_and_the_task_is_unchanged(alice: Api, outbox) -> None:
    task = alice.create(title="Keep")
    response = alice.patch(f"/api/tasks/{task['id']}", json={"title": "", "priority": "high"})
    assert response.status_code == 422
    assert alice.get(f"/api/tasks/{task['id']}").get_json() == task
    assert len(outbox()) == 2


def test_unknown_id_is_404_problem(alice: Api) -> None:
    response = alice.get("/api/tasks/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.content_type == PROBLEM


def test_unknown_route_and_wrong_method_are_problems(alice: Api) -> None:
    assert alice.get("/api/nothing").content_type == PROBLEM
    response = alice.client.put("/api/tasks", headers=As("alice"))
    assert response.status_code == 405
    assert response.content_type == PROBLEM
    assert "POST" in response.headers["Allow"]


def test_a_body_over_a_mebibyte_is_413(alice: Api, outbox) -> None:
    response = alice.post("/api/tasks", json={"title": "t", "description": "x" * (1 << 20)})
    assert response.status_code == 413
    assert response.content_type == PROBLEM
    assert outbox() == []


def test_sidecar_routes_need_the_app_api_token_when_one_is_set(make_todo_app, outbox) -> None:
    client = make_todo_app(app_api_token="s3cret").test_client()
    for path in ("/reminder-sweep", "/job/reminder-x", "/events/recurring"):
        refused = client.post(path, json={})
        assert refused.status_code == 401, path
        assert refused.content_type == PROBLEM
    allowed = client.post("/reminder-sweep", json={}, headers={"dapr-api-token": "s3cret"})
    assert allowed.get_json() == {"fired": 0}
