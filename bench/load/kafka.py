"""Kafka from the load process: when each record arrived, topics, and a fast producer.

`TopicWatcher` assigns itself every partition of its topics at their current end (no
consumer group to join) and notes each record's arrival time (Unix seconds) by key,
so a request can be matched with the event it caused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def ensure_topics(bootstrap: str, topics: Iterable[str], partitions: int = 4) -> None:
    """Create the topics that do not exist yet (as Kafka's auto-creation would)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [NewTopic(t, num_partitions=partitions) for t in topics if t not in existing]
    for topic, future in admin.create_topics(missing).items() if missing else []:
        try:
            future.result(30)
        except Exception as error:  # created meanwhile by someone else is fine
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise RuntimeError(f"cannot create topic {topic}: {error}") from error


class TopicWatcher:
    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        ensure_topics(bootstrap, topics)
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "todomesh-bench",
                "enable.auto.commit": False,
            }
        )
        self.consumer.assign(self._ends(topics))
        self.arrivals: dict[tuple[str, str], float] = {}  # (topic, key) -> first arrival
        self.samples: dict[tuple[str, str], dict[str, Any]] = {}  # (topic, type) -> envelope
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="topic-watcher", daemon=True)
        self._thread.start()

    def _ends(self, topics: Sequence[str]) -> list[TopicPartition]:
        metadata = self.consumer.list_topics(timeout=10)
        assigned = []
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), 10)
                assigned.append(TopicPartition(topic, partition, high))
        return assigned

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self.consumer.poll(0.1)
            if message is None or message.error() is not None:
                continue
            now = time.time()
            key = (message.key() or b"").decode()
            self.arrivals.setdefault((message.topic(), key), now)
            self.count += 1
            try:
                envelope = json.loads(message.value() or b"{}")
            except ValueError:
                continue
            self.samples[(message.topic(), str(envelope.get("type")))] = envelope

    def arrival(self, topic: str, key: str) -> float | None:
        return self.arrivals.get((topic, key))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.consumer.close()


def produce(bootstrap: str, items: Sequence[tuple[str, dict[str, Any], str]]) -> None:
    """Write `(topic, envelope, key)` records as Dapr's Kafka component does: the
    structured CloudEvent as the value, the partition key as the record key."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    for topic, envelope, key in items:
        while True:
            try:
                producer.produce(topic, json.dumps(envelope).encode(), key.encode())
                break
            except BufferError:
                producer.poll(0.1)
    if producer.flush(60):
        raise RuntimeError("some backlog records were not delivered to Kafka")
