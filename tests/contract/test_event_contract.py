"""The published event contract (contracts/) and the events the todo service really writes."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import select

from functions.notify.messages import outcome_event
from functions.notify.models import EMAIL, FAILED, IN_APP, SENT, WEBHOOK, Notification
from functions.recurring.snapshots import TaskSnapshot, next_instance
from functions.shared.events import CLOUDEVENT_CONTENT_TYPE, EventType, Topic
from functions.shared.settings import Settings
from functions.shared.wiring import context
from functions.todo import create_app
from tests.support.contract import (
    ASYNCAPI,
    COMMON,
    ROOT,
    SCHEMAS,
    ContractViolation,
    asyncapi,
    channel_types,
    event_types,
    load_json,
    registry,
    schema_files,
    validate_event,
)
from tests.support.envelopes import cloud_event, task_payload
from tests.support.identity import As, identity_settings

pytestmark = pytest.mark.contract

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://todomesh.dev/contracts/schemas/"
USER = As("alice")


def _refs(node: Any) -> Iterator[str]:
    """Every `$ref` value in a JSON/YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _pointer(document: Any, ref: str) -> Any:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


# --- (a) the documents themselves -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(schema_files()))
def test_every_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = load_json(SCHEMAS / name)
    assert schema["$schema"] == DRAFT_2020_12
    assert schema["$id"] == SCHEMA_BASE + name
    Draft202012Validator.check_schema(schema)
    resolver = registry().resolver(base_uri=schema["$id"])
    for ref in _refs(schema):
        resolver.lookup(ref)  # raises if a $ref points nowhere


def test_there_is_one_schema_per_event_type() -> None:
    assert sorted(event_types()) == sorted(EventType)
    for event_type in event_types():
        schema = load_json(SCHEMAS / f"{event_type}.json")
        assert schema["properties"]["type"] == {"const": event_type}
        assert schema["properties"]["data"]["properties"]["event_type"] == {"const": event_type}


def test_asyncapi_references_only_existing_schema_files() -> None:
    document = asyncapi()
    assert document["asyncapi"] == "3.0.0"
    referenced = set()
    for ref in _refs(document):
        if ref.startswith("#/"):
            _pointer(document, ref)  # an internal reference that resolves
            continue
        path = (ASYNCAPI.parent / ref).resolve()
        assert path.is_file(), f"asyncapi.yaml refers to a missing file {ref}"
        assert path.parent == SCHEMAS.resolve(), ref
        referenced.add(path.name)
    assert referenced == set(schema_files()) - {COMMON}


def test_each_message_is_the_schema_of_its_type_keyed_by_task_id() -> None:
    document = asyncapi()
    for message in document["components"]["messages"].values():
        payload = message["payload"]
        assert payload["schemaFormat"] == "application/schema+json;version=2020-12"
        assert payload["schema"]["$ref"] == f"./schemas/{message['name']}.json"
        traits = [_pointer(document, trait["$ref"]) for trait in message["traits"]]
        assert any(t.get("contentType") == CLOUDEVENT_CONTENT_TYPE for t in traits)
        assert any("task id" in t["bindings"]["kafka"]["key"]["description"] for t in traits)
    assert document["defaultContentType"] == CLOUDEVENT_CONTENT_TYPE


def test_channels_are_the_topics_and_their_dead_letter_topics() -> None:
    topics = {str(t) for t in Topic} | {f"{t}-dlq" for t in Topic}
    assert set(channel_types()) == topics | {"dead-letters-parked"}
    for topic in Topic:
        assert channel_types()[f"{topic}-dlq"] == channel_types()[topic]
    assert channel_types()["dead-letters-parked"] == set().union(*map(channel_types().get, Topic))
    assert channel_types()["task-events"] == {
        "task.created",
        "task.updated",
        "task.completed",
        "task.deleted",
        "task.reopened",
        "recurring.task.created",
    }
    assert channel_types()["task-updates"] == {
        "task.created",
        "task.updated",
        "task.completed",
        "task.deleted",
        "task.reopened",
    }


def _operation_types(operation: dict[str, Any]) -> set[str]:
    messages = asyncapi()["components"]["messages"]
    return {
        messages[_pointer(asyncapi(), ref["$ref"])["$ref"].rsplit("/", 1)[-1]]["name"]
        for ref in operation["messages"]
    }


def test_receive_operations_match_the_dapr_subscriptions() -> None:
    """Each subscription in dapr/subscriptions is a `receive` operation with the same types."""
    operations = asyncapi()["operations"]
    receives = {
        (op["x-app-id"], _pointer(asyncapi(), op["channel"]["$ref"])["address"]): op
        for op in operations.values()
        if op["action"] == "receive"
    }
    seen = set()
    for path in sorted((ROOT / "dapr" / "subscriptions").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        topic = spec["spec"]["topic"]
        assert spec["spec"]["deadLetterTopic"] in channel_types(), path.name
        for app in spec["scopes"]:
            operation = receives.get((app, topic))
            assert operation is not None, f"no receive operation for {app} on {topic}"
            rules = spec["spec"]["routes"].get("rules", [])
            wanted = {re.fullmatch(r'event\.type == "(.+)"', r["match"])[1] for r in rules}
            assert _operation_types(operation) == (wanted or channel_types()[topic]), path.name
            seen.add((app, topic))
    assert seen == set(receives)


def test_send_operations_cover_every_channel_type() -> None:
    sent: dict[str, set[str]] = {}
    for operation in asyncapi()["operations"].values():
        if operation["action"] == "send":
            address = _pointer(asyncapi(), operation["channel"]["$ref"])["address"]
            sent.setdefault(address, set()).update(_operation_types(operation))
    assert sent == {t: set(channel_types()[t]) for t in map(str, Topic)}


# --- validate_event can fail ------------------------------------------------------------------


def _valid_envelope() -> dict[str, Any]:
    task_id, moment = str(uuid.uuid4()), "2027-01-01T09:00:00Z"
    snapshot = task_payload(task_id, "alice", "Buy milk", moment=moment, occurrence=None)
    return cloud_event("task.created", task_id, "alice", snapshot, moment=moment)


def test_a_valid_envelope_with_extensions_and_unknown_fields_passes() -> None:
    envelope = _valid_envelope()
    envelope.update(
        pubsubname="pubsub",
        topic="task-events",
        traceid="x",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    envelope["data"]["schema_version"] = "1.7"
    envelope["data"]["added_in_1_7"] = {"anything": True}
    envelope["data"]["payload"]["added_in_1_7"] = ["anything"]
    validate_event(envelope, topic="task-events", key=envelope["subject"])


def _set(path: str, value: Any) -> Any:
    def mutate(envelope: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = envelope
        for name in parents:
            node = node[name]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("specversion", "0.3"), "specversion"),
        (_set("datacontenttype", KeyError), "datacontenttype"),
        (_set("data.schema_version", "2.0"), "schema_version"),
        (_set("data.payload.title", KeyError), "title"),
        (_set("data.payload.status", "done"), "status"),
        (_set("data.payload.version", 2), "version"),
        (_set("data.payload.tags", ["ok", ""]), "tags"),
        (_set("data.payload.due_date", "2027-01-01T09:00:00"), "due_date"),
        (_set("data.user_id", "bob"), "user_id"),
        (_set("subject", str(uuid.uuid4())), "subject"),
        (_set("data.event_type", "task.updated"), "event_type"),
        (_set("source", "audit"), "source"),
        (_set("traceparent", "not-a-traceparent"), "traceparent"),
        (_set("data_base64", "AAAA"), "data_base64"),
    ],
)
def test_validate_event_rejects_a_broken_envelope(mutate: Any, expected: str) -> None:
    envelope = _valid_envelope()
    mutate(envelope)
    with pytest.raises(ContractViolation, match=expected):
        validate_event(envelope)


def test_validate_event_checks_the_topic_and_the_key() -> None:
    envelope = _valid_envelope()
    with pytest.raises(ContractViolation, match="does not list task.created on reminders"):
        validate_event(envelope, topic="reminders")
    with pytest.raises(ContractViolation, match="Kafka key"):
        validate_event(envelope, key="another")
    with pytest.raises(ContractViolation, match="no schema"):
        validate_event({**copy.deepcopy(envelope), "type": "task.archived"})


# --- (b) every event the todo service really writes -------------------------------------------


@pytest.fixture
def todo_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(identity_settings(Settings(data_dir=tmp_path)))
    yield app
    context(app).stop()


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _recurring_instance(root: dict[str, Any]) -> dict[str, Any]:
    """The recurring function's own `recurring.task.created` for occurrence 2 of `root`."""
    snapshot = TaskSnapshot.from_payload(root)
    due = datetime.fromisoformat(root["due_date"]) + timedelta(days=1)
    return next_instance(snapshot, root["id"], 2, due).to_cloudevent("recurring")


def _drive(client: FlaskClient) -> dict[str, Any]:
    """Every kind of change the service tells as events; returns the recurring envelope."""
    api = "/api/tasks"
    root = _ok(
        client.post(
            api,
            headers=USER,
            json={
                "title": "Standup",
                "tags": ["work", "daily"],
                "priority": "high",
                "due_date": _in(60),
                "reminder_time": _in(30),
                "recurrence": "daily",
                "timezone": "Europe/Berlin",
                "description": "15 minutes",
            },
        ),
        201,
    )
    url = f"{api}/{root['id']}"
    _ok(client.patch(url, headers=USER, json={"title": "Stand-up"}))  # task.updated
    _ok(client.patch(url, headers=USER, json={"reminder_time": _in(45)}))  # moved
    _ok(client.patch(url, headers=USER, json={"reminder_time": None}))  # cleared
    _ok(client.patch(url, headers=USER, json={"reminder_time": _in(50)}))  # set again

    due = _ok(client.post(api, headers=USER, json={"title": "Due", "reminder_time": _in(-1)}), 201)
    assert _ok(client.post("/reminder-sweep", json={})) == {"fired": 1}  # reminder.due
    _ok(client.post(f"{api}/{due['id']}/complete", headers=USER))  # fired: no cancel

    patched = _ok(
        client.post(api, headers=USER, json={"title": "Patch", "status": "complete"}), 201
    )
    _ok(client.patch(f"{api}/{patched['id']}", headers=USER, json={"status": "pending"}))
    _ok(client.patch(f"{api}/{patched['id']}", headers=USER, json={"status": "complete"}))
    _ok(client.patch(f"{api}/{patched['id']}", headers=USER, json={"tags": ["after"]}))

    gone = _ok(client.post(api, headers=USER, json={"title": "Gone", "reminder_time": _in(9)}), 201)
    _ok(client.delete(f"{api}/{gone['id']}", headers=USER), 204)  # + reminder.cancelled

    instance = _recurring_instance(root)
    _ok(
        client.post(
            "/events/recurring", json=instance, headers={"Content-Type": CLOUDEVENT_CONTENT_TYPE}
        )
    )
    _ok(client.post(f"{url}/complete", headers=USER))  # + reminder.cancelled
    return instance


def test_every_event_the_todo_service_writes_satisfies_the_contract(todo_app: Flask) -> None:
    instance = _drive(todo_app.test_client())
    validate_event(instance, topic="task-events", key=instance["data"]["task_id"])

    ctx = context(todo_app)
    with ctx.sessions() as session:
        rows = session.scalars(select(ctx.outbox).order_by(ctx.outbox.id)).all()
    failures = []
    for row in rows:
        assert row.event_id == row.envelope["id"]
        try:
            validate_event(row.envelope, topic=row.topic, key=row.partition_key)
        except ContractViolation as exc:
            failures.append(f"outbox #{row.id} on {row.topic}: {exc}")
    assert not failures, "\n".join(failures)

    written = {(row.topic, row.envelope["type"]) for row in rows}
    sent_by_todo = {
        (address, event_type)
        for address, types in channel_types().items()
        if address in {str(t) for t in Topic} and address != "notifications"
        for event_type in types
        if event_type != "recurring.task.created"
    }
    assert written == sent_by_todo  # the drive above exercised every type todo sends
    instance_events = [r.envelope for r in rows if r.partition_key == instance["subject"]]
    assert [e["type"] for e in instance_events] == [
        "task.created",
        "task.created",
        "reminder.scheduled",
    ]


@pytest.mark.parametrize(
    ("channel", "status", "attempts", "error", "due"),
    [
        (IN_APP, SENT, 0, None, None),
        (EMAIL, SENT, 2, None, datetime(2027, 1, 2, 9, tzinfo=UTC)),
        (WEBHOOK, FAILED, 5, "HTTP 500 from the webhook", None),
    ],
)
def test_the_notify_outcome_events_satisfy_the_contract(
    channel: str, status: str, attempts: int, error: str | None, due: datetime | None
) -> None:
    """notify's own `outcome_event` (until the lead's test drives the notify app)."""
    notification = Notification(
        id=str(uuid.uuid4()),
        user_id="alice",
        task_id=str(uuid.uuid4()),
        reminder_time=datetime(2027, 1, 1, 9, tzinfo=UTC),
        channel=channel,
        title="Buy milk",
        due_date=due,
        status=status,
        attempts=attempts,
        last_error=error,
    )
    envelope = outcome_event(notification).to_cloudevent("notify")
    assert envelope["type"] == f"notification.{status}"
    validate_event(envelope, topic="notifications", key=notification.task_id)
