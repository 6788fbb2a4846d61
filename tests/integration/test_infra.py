"""The real infrastructure works: PostgreSQL, Kafka, daprd with our resources, scheduler.

Run: python -m pytest tests/integration/test_infra.py -m integration -p tests.support.plugin
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from confluent_kafka import ConsumerGroupState, Producer
from confluent_kafka.admin import AdminClient
from sqlalchemy import create_engine, text

from functions.launcher.processes import free_port
from functions.launcher.render import pod_name, render_resources, write_secrets_file
from tests.support.envelopes import cloud_event, publish
from tests.support.kafka import Record, TopicReader
from tests.support.services import Daprd, Scheduler
from tests.support.stub_app import StubApp
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

StartDaprd = Callable[..., Daprd]

COMPONENTS = {
    "todo": {"pubsub", "secretstore", "reminder-sweep"},
    "hub": {"pubsub-hub", "secretstore"},
    "audit": {"pubsub", "secretstore"},
    "recurring": {"pubsub", "secretstore"},
    "notify": {"pubsub", "secretstore", "smtp"},
}
SUBSCRIPTIONS = {
    "todo": {("pubsub", "task-events")},
    "hub": {("pubsub-hub", "task-updates"), ("pubsub-hub", "notifications")},
    "audit": {("pubsub", "task-events")},
    "recurring": {("pubsub", "task-events")},
    "notify": {("pubsub", "reminders")},
}


@pytest.fixture(scope="module")
def resources(
    tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str, postgres_url: str
) -> Path:
    base = tmp_path_factory.mktemp("dapr")
    secrets = write_secrets_file(base / "secrets.json", database_url=postgres_url)
    return render_resources(
        base / "resources",
        kafka_brokers=kafka_bootstrap,
        secrets_file=secrets,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
    )


def consume_until(
    bootstrap: str, topic: str, found: Callable[[Record], bool], timeout: float = 30.0
) -> Record:
    """The first record on `topic` (read from its start) that `found` accepts."""
    reader = TopicReader(bootstrap, [topic])
    try:
        reader.wait_for(lambda r: any(map(found, r.records)), f"a record on {topic}", timeout)
        return next(record for record in reader.records if found(record))
    finally:
        reader.close()


def wait_for_subscriptions(sidecar: Daprd, expected: set[tuple[str, str]]) -> None:
    def loaded() -> bool:
        subs = sidecar.metadata().get("subscriptions") or []
        return {(s["pubsubname"], s["topic"]) for s in subs} >= expected

    wait_for(loaded, f"{sidecar.app_id} subscriptions", timeout=30, process=sidecar.process)


def test_postgres_answers_select_1(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_kafka_produce_consume_roundtrip(kafka_bootstrap: str) -> None:
    topic, value = f"roundtrip-{uuid.uuid4().hex[:8]}", uuid.uuid4().bytes
    errors: list[Any] = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(topic, key=b"task-1", value=value, on_delivery=lambda e, _m: errors.append(e))
    assert producer.flush(30) == 0
    assert errors == [None]

    record = consume_until(kafka_bootstrap, topic, lambda r: r.value == value)
    assert record.key == b"task-1"


@pytest.mark.parametrize("app_id", sorted(COMPONENTS))
def test_daprd_loads_our_resources_without_errors(
    app_id: str, resources: Path, start_daprd: StartDaprd
) -> None:
    with StubApp() as app:
        sidecar = start_daprd(app_id, app.port, resources)
        wait_for_subscriptions(sidecar, SUBSCRIPTIONS[app_id])

        components = {c["name"] for c in sidecar.metadata()["components"]}
        assert components == COMPONENTS[app_id]
        assert sidecar.log_errors() == []


def test_hub_sidecar_has_a_consumer_group_of_its_own(
    resources: Path, start_daprd: StartDaprd, kafka_bootstrap: str
) -> None:
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    with StubApp() as app:
        hub = start_daprd("hub", app.port, resources)
        group = pod_name("hub", hub.http_port)  # what {podName} became

        def stable() -> bool:
            [future] = admin.describe_consumer_groups([group]).values()
            return bool(future.result(10).state == ConsumerGroupState.STABLE)

        wait_for(stable, f"consumer group {group}", timeout=30, process=hub.process)


def test_secret_store_serves_the_database_url(
    resources: Path, start_daprd: StartDaprd, postgres_url: str
) -> None:
    sidecar = start_daprd("audit", None, resources)
    response = requests.get(
        f"{sidecar.url}/v1.0/secrets/secretstore/database-url",
        headers=sidecar.api_headers,
        timeout=5,
    )
    assert response.json() == {"database-url": postgres_url}


def test_cron_binding_calls_todo(resources: Path, start_daprd: StartDaprd) -> None:
    with StubApp() as app:
        start_daprd("todo", app.port, resources)
        assert app.wait_for("/reminder-sweep", timeout=75).method == "POST"  # @every 30s


def test_publish_lands_in_kafka_with_the_partition_key(
    resources: Path, start_daprd: StartDaprd, kafka_bootstrap: str
) -> None:
    sidecar = start_daprd("todo", None, resources)
    event = cloud_event("task.created", "k", "alice", {})
    publish(sidecar, "task-events", event, key="k")

    record = consume_until(kafka_bootstrap, "task-events", lambda r: event["id"] in str(r.value))
    assert record.key == b"k"
    assert record.envelope["type"] == "task.created"  # our envelope, kept


def test_subscription_delivers_our_cloud_event(resources: Path, start_daprd: StartDaprd) -> None:
    with StubApp() as app:
        audit = start_daprd("audit", app.port, resources)
        wait_for_subscriptions(audit, SUBSCRIPTIONS["audit"])
        event = cloud_event("task.created", "task-7", "alice", {})
        todo = start_daprd("todo", None, resources)
        publish(todo, "task-events", event, key="task-7")

        def delivered() -> list[dict[str, Any]]:
            """Our event as it came in a bulk delivery (audit's subscription is bulk)."""
            received = app.requests_to("/events/task-events")
            bodies = [r.json() for r in received]
            return [
                entry["event"]
                for body in bodies
                if body.get("type") == "com.dapr.event.sent.bulk"
                for entry in body["entries"]
                if entry["event"].get("id") == event["id"]
            ]

        [got, *_] = wait_for(
            delivered, "bulk delivery to audit's app", timeout=30, process=audit.process
        )
        assert (got["type"], got["subject"], got["data"]) == (
            event["type"],
            event["subject"],
            event["data"],
        )


def test_daprd_connects_to_the_scheduler_and_runs_a_job(
    resources: Path, start_daprd: StartDaprd, scheduler: Scheduler
) -> None:
    with StubApp() as app:
        sidecar = start_daprd("todo", app.port, resources, scheduler_address=scheduler.address)
        wait_for(
            lambda: sidecar.metadata().get("scheduler"),
            "daprd connected to the scheduler",
            until=lambda connected: scheduler.address in str(connected),
            timeout=30,
        )
        job = {"dueTime": "1s", "data": {"task_id": "t1"}}
        response = requests.post(
            f"{sidecar.url}/v1.0-alpha1/jobs/reminder-t1",
            json=job,
            headers=sidecar.api_headers,
            timeout=10,
        )
        assert response.status_code == 204, response.text
        assert app.wait_for("/job/reminder-t1", timeout=30).method == "POST"
