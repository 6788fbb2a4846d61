"""The notify function's HTTP API: the in-app inbox and the channel preferences."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.functions.harness import Deliverer, event_data

ALICE = {"X-User-Id": "alice"}
BOB = {"X-User-Id": "bob"}


@pytest.fixture
def client(notify: Flask) -> FlaskClient:
    return notify.test_client()


def remind(notify: Flask, count: int) -> list[str]:
    """`count` reminders for alice's tasks, oldest first; returns the task ids."""
    deliver = Deliverer(notify.test_client(), "/events/reminders", "reminders")
    task_ids = []
    for n in range(count):
        task_id = str(uuid.uuid4())
        data = event_data(
            "reminder_due", task_id=task_id, payload={"task_id": task_id, "title": f"Task {n}"}
        )
        assert deliver.dapr(data).get_json() == {"status": "SUCCESS"}
        task_ids.append(task_id)
    return task_ids


def titles(client: FlaskClient, query: str = "", headers: dict[str, str] = ALICE) -> list[str]:
    response = client.get(f"/api/notifications{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def test_the_inbox_lists_the_callers_notifications_newest_first(
    notify: Flask, client: FlaskClient
) -> None:
    remind(notify, 3)
    assert titles(client) == ["Task 2", "Task 1", "Task 0"]
    assert titles(client, headers=BOB) == []


def test_the_inbox_pages(notify: Flask, client: FlaskClient) -> None:
    remind(notify, 3)
    first = client.get("/api/notifications?limit=2", headers=ALICE).get_json()
    assert [i["title"] for i in first["items"]] == ["Task 2", "Task 1"]
    rest = client.get(
        f"/api/notifications?limit=2&cursor={first['next_cursor']}", headers=ALICE
    ).get_json()
    assert ([i["title"] for i in rest["items"]], rest["next_cursor"]) == (["Task 0"], None)


def test_marking_read_and_unread(notify: Flask, client: FlaskClient) -> None:
    remind(notify, 2)
    newest = client.get("/api/notifications", headers=ALICE).get_json()["items"][0]
    response = client.patch(
        f"/api/notifications/{newest['id']}", json={"read": True}, headers=ALICE
    )
    assert response.status_code == 200
    assert response.get_json()["read"] is True and response.get_json()["read_at"]
    assert titles(client, "?unread=true") == ["Task 0"]
    assert titles(client, "?unread=false") == ["Task 1", "Task 0"]
    client.patch(f"/api/notifications/{newest['id']}", json={"read": False}, headers=ALICE)
    assert titles(client, "?unread=true") == ["Task 1", "Task 0"]


def test_another_users_notification_does_not_exist_for_you(
    notify: Flask, client: FlaskClient
) -> None:
    remind(notify, 1)
    item = client.get("/api/notifications", headers=ALICE).get_json()["items"][0]
    response = client.patch(f"/api/notifications/{item['id']}", json={"read": True}, headers=BOB)
    assert (response.status_code, response.mimetype) == (404, "application/problem+json")
    assert titles(client, "?unread=true") == ["Task 0"]


@pytest.mark.parametrize(
    "body",
    [{"read": "yes"}, {}, {"read": True, "title": "x"}, ["read"]],
    ids=["not a boolean", "empty", "extra field", "not an object"],
)
def test_a_bad_patch_is_422(notify: Flask, client: FlaskClient, body: Any) -> None:
    remind(notify, 1)
    item = client.get("/api/notifications", headers=ALICE).get_json()["items"][0]
    response = client.patch(f"/api/notifications/{item['id']}", json=body, headers=ALICE)
    assert (response.status_code, response.mimetype) == (422, "application/problem+json")


def test_bad_inbox_filters_are_one_422(client: FlaskClient) -> None:
    response = client.get("/api/notifications?unread=maybe&limit=500&cursor=%%", headers=ALICE)
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"unread", "limit", "cursor"}


def test_the_caller_must_say_who_they_are(client: FlaskClient) -> None:
    assert client.get("/api/notifications").status_code == 401
    assert client.get("/api/notifications/preferences").status_code == 401
    assert (
        client.put("/api/notifications/preferences", json={"channels": ["in_app"]}).status_code
        == 401
    )


def test_preferences_default_to_in_app(client: FlaskClient) -> None:
    response = client.get("/api/notifications/preferences", headers=ALICE)
    assert response.get_json() == {"channels": ["in_app"], "email": None, "webhook_url": None}


def test_preferences_are_stored_per_user(client: FlaskClient) -> None:
    chosen = {
        "channels": ["email", "webhook"],
        "email": "ada@example.com",
        "webhook_url": "https://hooks.example.com/todo?x=1",
    }
    put = client.put("/api/notifications/preferences", json=chosen, headers=ALICE)
    assert (put.status_code, put.get_json()) == (200, chosen)
    assert client.get("/api/notifications/preferences", headers=ALICE).get_json() == chosen
    assert client.get("/api/notifications/preferences", headers=BOB).get_json()["channels"] == [
        "in_app"
    ]
    again = {"channels": ["in_app"], "email": None, "webhook_url": None}
    client.put("/api/notifications/preferences", json=again, headers=ALICE)
    assert client.get("/api/notifications/preferences", headers=ALICE).get_json() == again


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"channels": []}, {"channels"}),
        ({"channels": ["sms"]}, {"channels"}),
        ({"channels": ["in_app", "in_app"]}, {"channels"}),
        ({"channels": "email", "email": "ada@example.com"}, {"channels"}),
        ({"channels": ["email"]}, {"email"}),
        ({"channels": ["email"], "email": "not an address"}, {"email"}),
        ({"channels": ["webhook"]}, {"webhook_url"}),
        ({"channels": ["webhook"], "webhook_url": "ftp://example.com/x"}, {"webhook_url"}),
        ({"channels": ["webhook"], "webhook_url": "https://"}, {"webhook_url"}),
        ({"channels": ["in_app"], "phone": "123"}, {"phone"}),
        ({"email": 5, "webhook_url": "x"}, {"channels", "email", "webhook_url"}),
    ],
)
def test_bad_preferences_are_422(
    client: FlaskClient, body: dict[str, Any], fields: set[str]
) -> None:
    response = client.put("/api/notifications/preferences", json=body, headers=ALICE)
    assert (response.status_code, response.mimetype) == (422, "application/problem+json")
    assert {e["field"] for e in response.get_json()["errors"]} == fields
    assert client.get("/api/notifications/preferences", headers=ALICE).get_json()["channels"] == [
        "in_app"
    ]


def test_a_body_that_is_not_json_is_400(client: FlaskClient) -> None:
    response = client.put(
        "/api/notifications/preferences",
        data="{channels",
        headers={**ALICE, "Content-Type": "application/json"},
    )
    assert (response.status_code, response.mimetype) == (400, "application/problem+json")
