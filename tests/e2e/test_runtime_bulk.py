"""The embedded runtime's bulk delivery keeps Dapr's `bulkSubscribe` contract: a batch in
one request per route, a status per entry, DROP to the dead-letter topic, RETRY and left-out
entries redelivered alone, 404 dropping the batch."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from functions.runtime.runtime import Runtime
from functions.shared.settings import Settings
from tests.e2e.test_runtime_contract import RESILIENCY, SUBSCRIPTION, event, resiliency
from tests.support.quiet import embedded_backlog, wait_quiet
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

BULK = SUBSCRIPTION.replace(
    "  deadLetterTopic: orders-dlq\n",
    "  deadLetterTopic: orders-dlq\n"
    "  bulkSubscribe: {enabled: true, maxMessagesCount: 3, maxAwaitDurationMs: 10}\n",
)


class BulkSubscriber:
    """Records each bulk request and answers each entry as scripted per event id (a
    status, or None to leave the entry out); the whole reply can be scripted too."""

    def __init__(self) -> None:
        self.app = Flask("shop")
        self.requests: list[tuple[str, dict[str, Any], str]] = []
        self.statuses: dict[str, list[str | None]] = {}
        self.replies: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        self.app.add_url_rule("/<path:path>", "any", self._handle, methods=["POST"])

    def _handle(self, path: str) -> Any:
        body = request.get_json(force=True)
        with self.lock:
            self.requests.append((f"/{path}", body, request.content_type or ""))
            if self.replies:
                status, text = self.replies.pop(0)
                return text, status
            statuses = []
            for entry in body["entries"]:
                script = self.statuses.get(entry["event"]["id"], [])
                answer = script.pop(0) if script else "SUCCESS"
                if answer is not None:
                    statuses.append({"entryId": entry["entryId"], "status": answer})
        return json.dumps({"statuses": statuses}), 200

    def batches(self, path: str = "/orders") -> list[list[str]]:
        """The event ids of each request to `path`, in the order they came."""
        with self.lock:
            return [
                [entry["event"]["id"] for entry in body["entries"]]
                for p, body, _ in self.requests
                if p == path
            ]


@pytest.fixture
def subscriber() -> BulkSubscriber:
    return BulkSubscriber()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def runtime_of(
    tmp_path: Path, data_dir: Path, subscriber: BulkSubscriber
) -> Iterator[Callable[..., Runtime]]:
    """`runtime_of(subscription_yaml, retries=RESILIENCY)`: a runtime with that
    subscription and resiliency, stopped after the test; each test starts it (`settle`)."""
    made: list[Runtime] = []

    def make(subscription: str, retries: str = RESILIENCY) -> Runtime:
        folder = tmp_path / "resources"
        folder.mkdir()
        (folder / "subscription.yaml").write_text(subscription)
        (folder / "resiliency.yaml").write_text(retries)
        made.append(Runtime(Settings(data_dir=data_dir), [folder], {"shop": subscriber.app}))
        return made[-1]

    yield make
    for rt in made:
        rt.stop()


@pytest.fixture
def runtime(runtime_of: Callable[..., Runtime]) -> Runtime:
    """A runtime with the bulk subscription (10 ms to gather a batch)."""
    return runtime_of(BULK)


def publish(rt: Runtime, *ids: str, kind: str = "order.created") -> None:
    """Publish events in one transaction, each under its own key."""
    rt.broker.publish_many("pubsub", [("orders", event(i, kind), i) for i in ids])


def settle(rt: Runtime, data_dir: Path) -> None:
    """Start the runtime (its loops) and wait until nothing is pending any more."""
    rt.start()
    wait_quiet(lambda: embedded_backlog(data_dir), "every delivery settled")


def dead_letters(rt: Runtime) -> list[str]:
    return [m.envelope["id"] for m in rt.broker.messages("orders-dlq")]


def test_due_messages_go_as_batches_of_at_most_max_messages_count(
    runtime, subscriber, data_dir
) -> None:
    publish(runtime, "e1", "e2", "e3", "e4")
    settle(runtime, data_dir)
    assert subscriber.batches() == [["e1", "e2", "e3"], ["e4"]]
    path, body, content_type = subscriber.requests[0]
    assert content_type == "application/json"
    assert body["type"] == "com.dapr.event.sent.bulk"
    assert (body["pubsubname"], body["topic"]) == ("pubsub", "orders")
    entry = body["entries"][0]
    assert entry["contentType"] == "application/cloudevents+json"
    assert entry["event"]["data"] == {"n": "e1"}
    assert (entry["event"]["pubsubname"], entry["event"]["topic"]) == ("pubsub", "orders")
    assert dead_letters(runtime) == []


def test_each_entry_has_its_own_outcome(runtime, subscriber, data_dir) -> None:
    subscriber.statuses = {"dropped": ["DROP"], "retried": ["RETRY"], "left-out": [None]}
    publish(runtime, "dropped", "retried", "left-out")
    settle(runtime, data_dir)
    first, *again = subscriber.batches()
    assert first == ["dropped", "retried", "left-out"]
    assert sorted(i for batch in again for i in batch) == ["left-out", "retried"]
    assert dead_letters(runtime) == ["dropped"]


def test_a_batch_splits_by_route(runtime, subscriber, data_dir) -> None:
    runtime.broker.publish_many(
        "pubsub",
        [
            ("orders", event("o1"), "o1"),
            ("orders", event("s1", "order.special"), "s1"),
            ("orders", event("o2"), "o2"),
        ],
    )
    settle(runtime, data_dir)
    assert subscriber.batches("/orders") == [["o1", "o2"]]
    assert subscriber.batches("/special") == [["s1"]]


def test_a_server_error_retries_the_whole_batch_and_404_drops_it(
    runtime, subscriber, data_dir
) -> None:
    subscriber.replies = [(500, "boom"), (404, "")]
    publish(runtime, "e1", "e2")
    runtime.start()
    wait_for(subscriber.batches, "two tries", until=lambda b: len(b) >= 2)
    wait_quiet(lambda: embedded_backlog(data_dir), "every delivery settled")
    assert subscriber.batches() == [["e1", "e2"], ["e1", "e2"]]  # no third try after 404
    assert dead_letters(runtime) == []


def test_a_key_waiting_for_a_retry_holds_its_later_messages(
    runtime_of, subscriber, data_dir
) -> None:
    # a retry a minute away, however slow the steps below; starting the runtime resumes it
    runtime = runtime_of(BULK, retries=resiliency("60s", 2))
    subscriber.statuses = {"a1": ["RETRY"]}
    runtime.broker.publish_many(
        "pubsub", [("orders", event("a1"), "A"), ("orders", event("b1"), "B")]
    )
    runtime.dispatchers["shop/orders"].dispatch_ready()
    runtime.broker.publish_many(
        "pubsub", [("orders", event("a2"), "A"), ("orders", event("b2"), "B")]
    )
    runtime.dispatchers["shop/orders"].dispatch_ready()  # a1 waits for its retry
    assert subscriber.batches() == [["a1", "b1"], ["b2"]]
    settle(runtime, data_dir)
    assert subscriber.batches()[2:] == [["a1", "a2"]]


def test_a_batch_gathers_what_comes_within_max_await_duration_of_the_one_before(
    runtime_of: Callable[..., Runtime], subscriber: BulkSubscriber, data_dir: Path
) -> None:
    """As daprd's batches: a message after a quiet spell goes at once; what is published
    within `maxAwaitDurationMs` of that batch goes together, in the next one."""
    rt = runtime_of(BULK.replace("maxAwaitDurationMs: 10", "maxAwaitDurationMs: 3000"))
    rt.start()
    publish(rt, "e1")
    wait_for(subscriber.batches, "e1 delivered", until=lambda b: b == [["e1"]])
    publish(rt, "e2")
    publish(rt, "e3")
    wait_for(subscriber.batches, "a second batch", until=lambda b: len(b) >= 2)
    wait_quiet(lambda: embedded_backlog(data_dir), "every delivery settled")
    assert subscriber.batches() == [["e1"], ["e2", "e3"]]
