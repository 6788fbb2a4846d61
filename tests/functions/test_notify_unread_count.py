"""`GET /api/notifications/unread-count`: the caller's unread in-app reminders, for the
page's inbox badge."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from functions.identity import mint_token
from functions.shared.identity.local import IssuerRecord, write_issuer_record
from tests.functions.harness import Deliverer, event_data

ISSUER = "http://127.0.0.1:8000"


def bearer(data_dir: Path, user: str) -> dict[str, str]:
    write_issuer_record(data_dir, IssuerRecord(ISSUER, "todomesh"))
    return {"Authorization": f"Bearer {mint_token(data_dir, user)}"}


def remind(notify: Flask, user: str) -> None:
    task_id = str(uuid.uuid4())
    data = event_data(
        "reminder_due", task_id=task_id, user_id=user, payload={"task_id": task_id, "user_id": user}
    )
    deliver = Deliverer(notify.test_client(), "/events/reminders", "reminders")
    assert deliver.dapr(data).get_json() == {"status": "SUCCESS"}


def unread(client: FlaskClient, headers: dict[str, str]) -> int:
    response = client.get("/api/notifications/unread-count", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["unread"]


def test_the_count_follows_reminders_and_reading(notify: Flask, function_env: Path) -> None:
    client = notify.test_client()
    alice, bob = bearer(function_env, "alice"), bearer(function_env, "bob")
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


def test_the_count_needs_a_token(notify: Flask, function_env: Path) -> None:
    bearer(function_env, "alice")  # the provider's issuer is known: the token alone is missing
    response = notify.test_client().get("/api/notifications/unread-count")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
