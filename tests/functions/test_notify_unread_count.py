"""`GET /api/notifications/unread-count`: the caller's unread in-app reminders, for the
page's inbox badge."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.harness import Deliverer, event_data
from tests.support.identity import As

pytestmark = pytest.mark.functions


def remind(notify: Flask, user: str) -> None:
    task_id = str(uuid.uuid4())
    data = event_data(
        "reminder_due", task_id=task_id, user_id=user, payload={"task_id": task_id, "user_id": user}
    )
    deliver = Deliverer(notify.test_client(), "/events/reminders", "reminders")
    assert deliver.dapr(data).get_json() == {"status": "SUCCESS"}


def unread(client: FlaskClient, headers: Mapping[str, str]) -> int:
    response = client.get("/api/notifications/unread-count", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["unread"]


def test_the_count_follows_reminders_and_reading(notify: Flask) -> None:
    client = notify.test_client()
    alice, bob = As("alice"), As("bob")
    assert unread(client, alice) == 0
    for _ in range(3):
        remind(notify, "alice")
    remind(notify, "bob")
    assert (unread(client, alice), unread(client, bob)) == (3, 1)

    newest = client.get("/api/notifications?limit=1", headers=alice).get_json()["items"][0]
    read = client.patch(f"/api/notifications/{newest['id']}", json={"read": True}, headers=alice)
    assert read.status_code == 200
    assert unread(client, alice) == 2
    client.patch(f"/api/notifications/{newest['id']}", json={"read": False}, headers=alice)
    assert unread(client, alice) == 3


def test_the_count_needs_a_token(notify: Flask) -> None:
    response = notify.test_client().get("/api/notifications/unread-count")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
