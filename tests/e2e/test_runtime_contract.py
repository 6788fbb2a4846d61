"""The embedded runtime keeps Dapr's delivery contract (tested with small subscriber apps)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select, update

from functions.runtime.broker import DEAD, DONE, BrokerDelivery, BrokerMessage
from functions.runtime.dispatcher import IDLE_SECONDS, Dispatcher
from functions.runtime.runtime import Runtime
from functions.shared.events import utcnow
from functions.shared.settings import Settings
from tests.support.harness import statements
from tests.support.quiet import embedded_backlog, wait_quiet
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

SUBSCRIPTION = """
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: orders}
spec:
  pubsubname: pubsub
  topic: orders
  deadLetterTopic: orders-dlq
  routes:
    rules:
      - match: event.type == "order.special" && event.source == "shop"
        path: /special
    default: /orders
scopes: [shop]
"""


def resiliency(duration: str, max_retries: int) -> str:
    """A resiliency resource: pubsub's inbound retries at a constant `duration`."""
    return f"""
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {{name: test}}
spec:
  policies:
    retries:
      inbound: {{policy: constant, duration: {duration}, maxRetries: {max_retries}}}
  targets:
    components:
      pubsub: {{inbound: {{retry: inbound}}}}
"""


RESILIENCY = resiliency("20ms", 2)
CRON = """
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: tick}
spec:
  type: bindings.cron
  version: v1
  metadata: [{name: schedule, value: "@every 50ms"}]
scopes: [shop]
"""


class Subscriber:
    """A Flask app that records deliveries and answers as scripted per event id."""

    def __init__(self) -> None:
        self.app = Flask("shop")
        self.received: list[tuple[str, dict[str, Any], str]] = []
        self.script: dict[str, list[tuple[int, Any]]] = {}
        self.lock = threading.Lock()
        self.app.add_url_rule("/<path:path>", "any", self._handle, methods=["POST"])

    def _handle(self, path: str) -> Any:
        body = request.get_json(force=True)
        with self.lock:
            self.received.append((f"/{path}", body, request.content_type or ""))
            replies = self.script.get(body.get("id", ""), [])
            status, reply = replies.pop(0) if replies else (200, {"status": "SUCCESS"})
        return (json.dumps(reply) if reply is not None else ""), status

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _, _ in self.received]

    def ids(self, path: str = "/orders") -> list[str]:
        with self.lock:
            return [body["id"] for p, body, _ in self.received if p == path]


def event(event_id: str, kind: str = "order.created") -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "type": kind,
        "source": "shop",
        "datacontenttype": "application/json",
        "data": {"n": event_id},
    }


def delivered(subscriber: Subscriber, ids: list[str], path: str = "/orders") -> None:
    """Wait until `subscriber` has received exactly `ids` on `path`, in this order."""
    wait_for(lambda: subscriber.ids(path), f"{ids} delivered to {path}", until=lambda d: d == ids)


def settled(data_dir: Path) -> None:
    """Wait until the runtime's log has no delivery pending: nothing will be (re)delivered."""
    wait_quiet(lambda: embedded_backlog(data_dir), "every delivery settled")


@pytest.fixture
def resources(tmp_path: Path) -> Path:
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "subscription.yaml").write_text(SUBSCRIPTION)
    (folder / "resiliency.yaml").write_text(RESILIENCY)
    return folder


@pytest.fixture
def subscriber() -> Subscriber:
    return Subscriber()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def runtime(data_dir: Path, resources: Path, subscriber: Subscriber) -> Iterator[Runtime]:
    rt = Runtime(Settings(data_dir=data_dir), [resources], {"shop": subscriber.app})
    rt.start()
    yield rt
    rt.stop()


def dead_letters(rt: Runtime) -> list[str]:
    return [m.envelope["id"] for m in rt.broker.messages("orders-dlq")]


def test_success_is_delivered_once_as_a_structured_cloudevent(
    runtime, subscriber, data_dir
) -> None:
    runtime.broker.publish("pubsub", "orders", event("e1"), "k1")
    delivered(subscriber, ["e1"])
    path, body, content_type = subscriber.received[0]
    assert content_type == "application/cloudevents+json"
    assert body["pubsubname"] == "pubsub" and body["topic"] == "orders"
    assert body["data"] == {"n": "e1"}
    settled(data_dir)
    assert subscriber.ids() == ["e1"]
    assert dead_letters(runtime) == []


def test_routing_rules_pick_the_path(runtime, subscriber) -> None:
    runtime.broker.publish("pubsub", "orders", event("s1", "order.special"), "k")
    delivered(subscriber, ["s1"], "/special")
    assert subscriber.ids("/orders") == []


@pytest.mark.parametrize("reply", [(200, {"status": "RETRY"}), (500, None), (503, {"x": 1})])
def test_retry_and_errors_are_redelivered(runtime, subscriber, reply, data_dir) -> None:
    subscriber.script["e1"] = [reply, reply]
    runtime.broker.publish("pubsub", "orders", event("e1"), "k1")
    delivered(subscriber, ["e1", "e1", "e1"])
    settled(data_dir)
    assert subscriber.ids() == ["e1", "e1", "e1"]
    assert dead_letters(runtime) == []


def test_retries_running_out_send_to_the_dead_letter_topic(runtime, subscriber) -> None:
    subscriber.script["e1"] = [(500, None)] * 10
    runtime.broker.publish("pubsub", "orders", event("e1"), "k1")
    wait_for(lambda: dead_letters(runtime), "e1 dead-lettered", until=lambda d: d == ["e1"])
    assert subscriber.ids() == ["e1"] * 3  # the first try and maxRetries: 2


def test_drop_goes_straight_to_the_dead_letter_topic(runtime, subscriber) -> None:
    subscriber.script["e1"] = [(200, {"status": "DROP"})]
    runtime.broker.publish("pubsub", "orders", event("e1"), "k1")
    wait_for(lambda: dead_letters(runtime), "e1 dead-lettered", until=lambda d: d == ["e1"])
    assert subscriber.ids() == ["e1"]


def test_404_drops_without_dead_letter(runtime, subscriber, data_dir) -> None:
    subscriber.script["e1"] = [(404, None)]
    runtime.broker.publish("pubsub", "orders", event("e1"), "k1")
    runtime.broker.publish("pubsub", "orders", event("e2"), "k1")
    delivered(subscriber, ["e1", "e2"])
    settled(data_dir)
    assert subscriber.ids() == ["e1", "e2"]
    assert dead_letters(runtime) == []


def test_order_is_kept_per_key_while_other_keys_flow(runtime, subscriber) -> None:
    subscriber.script["a1"] = [(500, None), (500, None)]
    # in one transaction: the first read sees b1 beside a1, whatever a1's retries take
    ordered = [("a1", "A"), ("a2", "A"), ("b1", "B"), ("a3", "A")]
    runtime.broker.publish_many("pubsub", [("orders", event(i), key) for i, key in ordered])
    got = wait_for(subscriber.ids, "a3 delivered", until=lambda ids: "a3" in ids)
    assert [i for i in got if i.startswith("a")] == ["a1", "a1", "a1", "a2", "a3"]
    assert got.index("b1") < got.index("a2")


def test_unacknowledged_messages_are_redelivered_after_a_restart(
    tmp_path: Path, resources: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = Subscriber()
    first.script["e1"] = [(500, None)]
    crashed = Runtime(settings, [resources], {"shop": first.app})
    crashed.broker.publish("pubsub", "orders", event("e1"), "k1")
    crashed.dispatchers["shop/orders"].dispatch_ready()  # one failed attempt, then "crash"
    crashed.broker.publish("pubsub", "orders", event("e2"), "k2")  # never attempted
    crashed.engine.dispose()
    assert first.ids() == ["e1"]

    second = Subscriber()
    restarted = Runtime(settings, [resources], {"shop": second.app})
    restarted.start()
    try:
        wait_for(second.ids, "e1 and e2 redelivered", until=lambda ids: len(ids) >= 2)
        settled(settings.data_dir)
        assert sorted(second.ids()) == ["e1", "e2"]
    finally:
        restarted.stop()


def test_cron_binding_posts_an_empty_json_body(tmp_path: Path, resources: Path) -> None:
    (resources / "cron.yaml").write_text(CRON)
    subscriber = Subscriber()
    rt = Runtime(Settings(data_dir=tmp_path / "data"), [resources], {"shop": subscriber.app})
    rt.start()
    try:
        wait_for(subscriber.paths, "two ticks", until=lambda paths: paths.count("/tick") >= 2)
    finally:
        rt.stop()
    path, body, content_type = subscriber.received[0]
    assert (path, body, content_type) == ("/tick", {}, "application/json")


def test_old_settled_messages_are_pruned_and_pending_ones_kept(tmp_path: Path, resources) -> None:
    rt = Runtime(Settings(data_dir=tmp_path / "data"), [resources], {"shop": Subscriber().app})
    try:
        for event_id in ("done", "dropped", "pending", "recent"):
            rt.broker.publish("pubsub", "orders", event(event_id), event_id)
        with rt.broker.sessions.begin() as session:
            ids = {m.envelope["id"]: m.id for m in session.scalars(select(BrokerMessage))}
            settle = {"done": DONE, "dropped": DEAD}
            for event_id, state in settle.items():
                session.execute(
                    update(BrokerDelivery)
                    .where(BrokerDelivery.message_id == ids[event_id])
                    .values(state=state)
                )
            month_ago = utcnow() - timedelta(days=30)
            session.execute(
                update(BrokerMessage)
                .where(BrokerMessage.id != ids["recent"])
                .values(published_at=month_ago)
            )
        rt.broker.publish("pubsub", "orders-dlq", event("dead-letter"), "dropped")
        with rt.broker.sessions.begin() as session:
            session.execute(
                update(BrokerMessage)
                .where(BrokerMessage.topic == "orders-dlq")
                .values(published_at=month_ago)
            )

        assert rt.broker.prune(timedelta(days=14)) == 3

        with rt.broker.sessions() as session:
            left = sorted(m.envelope["id"] for m in session.scalars(select(BrokerMessage)))
            deliveries = session.scalars(select(BrokerDelivery.message_id)).all()
        assert left == ["pending", "recent"]
        assert sorted(deliveries) == sorted([ids["pending"], ids["recent"]])
        assert rt.broker.prune(timedelta(days=14)) == 0
    finally:
        rt.engine.dispose()


def test_the_runtime_prunes_its_log_when_it_starts(tmp_path: Path, resources: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", retention_days=0)
    rt = Runtime(settings, [resources], {"shop": Subscriber().app})
    rt.broker.publish("pubsub", "orders-dlq", event("old"), "k")
    rt.start()
    try:
        wait_for(
            lambda: rt.broker.messages("orders-dlq"),
            "the old dead letter pruned",
            until=lambda m: m == [],
        )
    finally:
        rt.stop()


@pytest.fixture
def stepped(tmp_path: Path, subscriber: Subscriber) -> Iterator[Callable[[str], Runtime]]:
    """`stepped(retry_after)`: a runtime the test steps by hand (its loops never start),
    retrying three times `retry_after` apart; its engine is disposed after the test."""
    made: list[Runtime] = []

    def make(retry_after: str) -> Runtime:
        folder = tmp_path / "stepped"
        folder.mkdir()
        (folder / "subscription.yaml").write_text(SUBSCRIPTION)
        (folder / "resiliency.yaml").write_text(resiliency(retry_after, 3))
        rt = Runtime(Settings(data_dir=tmp_path / "data"), [folder], {"shop": subscriber.app})
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.engine.dispose()


def test_a_crowd_of_keys_in_back_off_does_not_hold_up_the_keys_behind(
    stepped: Callable[[str], Runtime], subscriber: Subscriber
) -> None:
    crowd = [f"stuck-{n}" for n in range(250)]  # more than a page of pending rows
    for event_id in crowd:
        subscriber.script[event_id] = [(503, None)]
    rt = stepped("60s")
    for event_id in crowd:
        rt.broker.publish("pubsub", "orders", event(event_id), event_id)
    dispatcher = rt.dispatchers["shop/orders"]
    while dispatcher.dispatch_ready():  # every key of the crowd fails once: 60 s back-off
        pass
    rt.broker.publish("pubsub", "orders", event("behind"), "fresh-key")
    assert dispatcher.dispatch_ready() == 1
    assert subscriber.ids()[-1] == "behind"
    assert len(subscriber.ids()) == len(crowd) + 1  # the crowd is still in back-off


def test_an_idle_dispatcher_sleeps_until_its_earliest_retry_instead_of_polling(
    stepped: Callable[[str], Runtime], subscriber: Subscriber
) -> None:
    subscriber.script["later"] = [(503, None)]
    rt = stepped("30s")
    dispatcher = rt.dispatchers["shop/orders"]
    assert dispatcher.seconds_until_due() == IDLE_SECONDS  # nothing pending
    rt.broker.publish("pubsub", "orders", event("later"), "k")
    assert dispatcher.dispatch_ready() == 1  # tried once; the retry is 30 s away
    assert 20.0 < dispatcher.seconds_until_due() <= 30.0 < IDLE_SECONDS
    rt.broker.publish("pubsub", "orders", event("behind"), "k")  # same key: waits too
    assert dispatcher.dispatch_ready() == 0
    assert 20.0 < dispatcher.seconds_until_due() <= 30.0


def test_a_woken_dispatcher_reads_its_pending_deliveries_once_for_a_short_page(
    stepped: Callable[[str], Runtime], subscriber: Subscriber
) -> None:
    rt = stepped("3s")
    dispatcher = rt.dispatchers["shop/orders"]
    rt.broker.publish("pubsub", "orders", event("one"), "k")  # wakes the dispatcher
    with statements(rt.engine) as seen:
        dispatcher.step()  # delivers; its idle then ends at once: the publish set the wake
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    pages = [s for s in reads if "min(" not in s.lower()]
    assert len(pages) == 1, reads  # a page shorter than a batch held all that was pending
    assert subscriber.ids() == ["one"]


def test_a_dispatcher_stopped_by_its_batch_limit_is_not_drained(
    stepped: Callable[[str], Runtime], subscriber: Subscriber
) -> None:
    subscriber.script["stuck"] = [(503, None)]
    rt = stepped("60s")
    first = rt.dispatchers["shop/orders"]
    dispatcher = Dispatcher(rt.broker, first.sub, rt.transport, first.retry, batch_size=3)
    rt.broker.publish("pubsub", "orders", event("stuck"), "a")
    assert dispatcher.dispatch_ready() == 1  # failed: its retry is a minute away
    for n in range(1, 5):
        rt.broker.publish("pubsub", "orders", event(f"m{n}"), f"k{n}")
    # pages of three: stuck (waiting), m1, m2; then a short one, m3 and m4, of which the
    # batch's limit leaves m4
    assert dispatcher.dispatch_ready() == 3
    assert not dispatcher.drained  # so its loop reads again instead of sleeping
    assert dispatcher.dispatch_ready() == 1
    assert dispatcher.drained
    assert subscriber.ids()[1:] == [f"m{n}" for n in range(1, 5)]
