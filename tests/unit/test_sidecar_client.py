"""The sidecar client's requests, as Dapr's HTTP API expects them (outbound HTTP faked)."""

from __future__ import annotations

import json

import pytest
import responses

from functions.shared.outbox import PublishError
from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient

BASE = "http://127.0.0.1:3500"


@responses.activate
def test_publish_keeps_our_envelope_and_keys_by_task() -> None:
    responses.post(f"{BASE}/v1.0/publish/pubsub/task-events", status=204)
    DaprClient(Settings()).publish("task-events", {"id": "e1", "type": "task.created"}, "t1")
    call = responses.calls[0].request
    assert call.headers["Content-Type"] == "application/cloudevents+json"
    assert "metadata.partitionKey=t1" in call.url
    assert json.loads(call.body) == {"id": "e1", "type": "task.created"}


@responses.activate
def test_a_refused_publish_is_a_publish_error() -> None:
    responses.post(f"{BASE}/v1.0/publish/pubsub/task-events", status=500, body="broker down")
    with pytest.raises(PublishError, match="500"):
        DaprClient(Settings()).publish("task-events", {"id": "e1"}, "t1")


@responses.activate
def test_a_moved_reminder_overwrites_its_job() -> None:
    responses.post(f"{BASE}/v1.0-alpha1/jobs/reminder-t1", status=204)
    DaprClient(Settings()).schedule_job("reminder-t1", "2027-01-01T09:00:00Z", {"task_id": "t1"})
    body = json.loads(responses.calls[0].request.body)
    assert body == {"dueTime": "2027-01-01T09:00:00Z", "data": {"task_id": "t1"}, "overwrite": True}


@responses.activate
def test_the_database_url_comes_from_the_secret_store() -> None:
    from functions.shared.sidecar import resolve_database_url

    responses.get(
        f"{BASE}/v1.0/secrets/secretstore/database-url",
        json={"database-url": "postgresql://db/todomesh"},
    )
    settings = resolve_database_url(Settings(mode="dapr"))
    assert settings.database_url == "postgresql://db/todomesh"
