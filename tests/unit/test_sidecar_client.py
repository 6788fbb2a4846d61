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


BULK = f"{BASE}/v1.0-alpha1/publish/bulk/pubsub"


def bulk_bodies() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each bulk request: (topic, [(entry id, event id, partition key)])."""
    return [
        (
            call.request.url.rsplit("/", 1)[1],
            [
                (e["entryId"], e["event"]["id"], e["metadata"]["partitionKey"])
                for e in json.loads(call.request.body)
            ],
        )
        for call in responses.calls
    ]


@responses.activate
def test_a_batch_goes_out_in_bulk_with_one_event_per_task_in_each_request() -> None:
    responses.post(f"{BULK}/task-events", status=204)
    responses.post(f"{BULK}/task-updates", status=204)
    items = [
        ("task-events", {"id": "a1"}, "A"),
        ("task-events", {"id": "b1"}, "B"),
        ("task-updates", {"id": "a1u"}, "A"),
        ("task-events", {"id": "a2"}, "A"),
    ]
    assert DaprClient(Settings()).publish_many(items) == set()
    assert bulk_bodies() == [
        ("task-events", [("0", "a1", "A"), ("1", "b1", "B")]),
        ("task-updates", [("2", "a1u", "A")]),
        ("task-events", [("3", "a2", "A")]),  # after a1 was acknowledged
    ]
    entry = json.loads(responses.calls[0].request.body)[0]
    assert entry["contentType"] == "application/cloudevents+json"
    assert entry["event"] == {"id": "a1"}
    assert "metadata.partitionKey" not in responses.calls[0].request.url  # would override


@responses.activate
def test_a_failed_entry_holds_back_the_later_events_of_its_task() -> None:
    failed = {"failedEntries": [{"entryId": "0", "error": "broker said no"}]}
    responses.post(f"{BULK}/task-events", status=500, json=failed)
    responses.post(f"{BULK}/task-events", status=204)
    items = [
        ("task-events", {"id": "a1"}, "A"),
        ("task-events", {"id": "b1"}, "B"),
        ("task-events", {"id": "a2"}, "A"),
        ("task-events", {"id": "b2"}, "B"),
    ]
    assert DaprClient(Settings()).publish_many(items) == {0, 2}
    assert bulk_bodies() == [
        ("task-events", [("0", "a1", "A"), ("1", "b1", "B")]),
        ("task-events", [("3", "b2", "B")]),
    ]


@responses.activate
def test_no_request_goes_out_for_a_round_whose_events_all_wait_behind_a_failure() -> None:
    failed = {"failedEntries": [{"entryId": "0", "error": "broker said no"}]}
    responses.post(f"{BULK}/task-events", status=500, json=failed)
    items = [("task-events", {"id": f"a{n}"}, "A") for n in range(3)]
    assert DaprClient(Settings()).publish_many(items) == {0, 1, 2}
    assert len(responses.calls) == 1  # a slow sidecar is not waited on for nothing


@responses.activate
def test_a_sidecar_that_takes_nothing_is_a_publish_error() -> None:
    responses.post(f"{BULK}/task-events", status=500, body="not json")
    with pytest.raises(PublishError, match="500"):
        DaprClient(Settings()).publish_many([("task-events", {"id": "a1"}, "A")])
