"""The consumer functions take events only on their delivery routes, only CloudEvents, and
only from their sidecar when it has a token: functions-framework's catch-all does not
turn their query APIs into a way to forge reminders or audit records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.support.harness import Deliverer, event_data, status_of
from tests.support.identity import As

pytestmark = pytest.mark.functions

ALICE = As("alice")


def envelope(data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": data["event_id"],
            "type": data["event_type"],
            "source": "mallory",
            "data": data,
        }
    ).encode()


def cloudevent(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.post(
        path, data=envelope(data), headers={"Content-Type": "application/cloudevents+json"}
    )


@pytest.mark.parametrize(
    ("target", "path", "allowed"),
    [
        ("audit", "/api/audit/alice", {"GET", "HEAD", "OPTIONS"}),
        ("audit", "/api/audit/alice/task/t1", {"GET", "HEAD", "OPTIONS"}),
        ("notify", "/api/notifications", {"GET", "HEAD", "OPTIONS"}),
        ("notify", "/api/notifications/preferences", {"GET", "HEAD", "OPTIONS", "PUT"}),
    ],
)
def test_an_event_posted_to_a_query_route_is_405_and_changes_nothing(
    function_app: Callable[[str], Flask], target: str, path: str, allowed: set[str]
) -> None:
    app = function_app(target)
    client = app.test_client()
    name = "reminder_due" if target == "notify" else "task_created"
    response = cloudevent(client, path, event_data(name, user_id="alice"))
    assert response.status_code == 405, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) == allowed
    assert set(client.options(path).headers["Allow"].split(", ")) == allowed
    listing = "/api/notifications" if target == "notify" else "/api/audit/alice"
    assert client.get(listing, headers=ALICE).get_json()["items"] == []


def test_an_event_posted_to_no_route_is_404(function_app: Callable[[str], Flask]) -> None:
    client = function_app("audit").test_client()
    response = cloudevent(client, "/api/anything/else", event_data("task_created"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_delivery_routes_still_take_events(function_app: Callable[[str], Flask]) -> None:
    client = function_app("audit").test_client()
    data = event_data("task_created", user_id="alice")
    assert status_of(Deliverer(client, "/events/task-events", "task-events").dapr(data)) == (
        "SUCCESS"
    )
    assert cloudevent(client, "/", event_data("task_created", user_id="alice")).status_code == 200
    assert len(client.get("/api/audit/alice", headers=ALICE).get_json()["items"]) == 2


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/cloudevents+json", b"[1, 2]"),
        ("application/cloudevents+json", b"not json"),
        ("application/cloudevents+json", b'{"specversion": "1.0"}'),
        ("application/cloudevents+json", b"\xff\xfe"),
        ("application/json", b'{"context": {"eventId": "1"}, "data": {}}'),
        ("text/plain", b"hello"),
        ("", b""),
    ],
)
def test_a_body_that_is_no_cloudevent_is_400_and_repeats_nothing(
    function_app: Callable[[str], Flask], content_type: str, body: bytes
) -> None:
    client = function_app("notify").test_client()
    secret = f"token-{uuid.uuid4()}"
    headers = {"Authorization": f"Bearer {secret}", "dapr-api-token": secret}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/events/reminders", data=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["title"] == "Not a CloudEvent"
    assert secret not in response.get_data(as_text=True)


def test_only_the_sidecar_gets_past_the_door_when_a_token_is_set(
    function_app: Callable[[str], Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_API_TOKEN", "sidecar-secret")
    client = function_app("audit").test_client()
    for body in (b"[1, 2]", envelope(event_data("task_created"))):
        response = client.post(
            "/events/task-events",
            data=body,
            headers={"Content-Type": "application/cloudevents+json", "dapr-api-token": "x"},
        )
        assert response.status_code == 401
