"""Read what the platform published to Kafka, as a separate consumer would, and how far
the platform's own consumers are behind.

`TopicReader(bootstrap, topics)` subscribes a confluent-kafka consumer in a fresh
consumer group from the earliest offset, so it sees every record of those topics,
whenever it was published and whoever else consumes them. The session's topics
outlive a test: filter by user (`of_user`). Nothing is committed.

`GroupLag(bootstrap, groups)` reads what the consumer groups (group -> its topics) have
committed against the end of each partition: their lag is what Kafka still owes them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from tests.support.waiting import wait_for

TIMEOUT = 10  # seconds for one metadata or offsets request


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def envelope(self) -> dict[str, Any]:
        """The value parsed as JSON (a structured CloudEvent, if the producer behaved)."""
        parsed: dict[str, Any] = json.loads(self.value)
        return parsed

    @property
    def data(self) -> dict[str, Any]:
        data = self.envelope.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def type(self) -> str | None:
        return self.envelope.get("type")

    @property
    def task_id(self) -> str | None:
        return self.data.get("task_id")

    @property
    def user_id(self) -> str | None:
        return self.data.get("user_id")


class TopicReader:
    def __init__(self, bootstrap: str, topics: Iterable[str]) -> None:
        self.topics = list(topics)
        self.group = f"todomesh-test-reader-{uuid.uuid4().hex}"
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": self.group,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                # a topic the platform has not created yet is picked up within a second
                "topic.metadata.refresh.interval.ms": 1000,
                "allow.auto.create.topics": False,
            }
        )
        self.consumer.subscribe(self.topics)
        self.records: list[Record] = []
        self.errors: list[KafkaError] = []
        self._low: dict[tuple[str, int], int] = {}

    def poll(self, seconds: float = 0.2) -> list[Record]:
        """Read whatever arrives within `seconds`; return every record read so far."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = self.consumer.poll(min(left, 0.2))
            if message is None:
                continue
            error = message.error()
            if error is not None:  # e.g. a topic nobody has created yet: librdkafka retries
                if error.fatal():
                    raise KafkaException(error)
                self.errors.append(error)
                continue
            headers = {name: value or b"" for name, value in message.headers() or []}
            self.records.append(
                Record(
                    topic=message.topic(),
                    partition=message.partition(),
                    offset=message.offset(),
                    key=message.key(),
                    value=message.value() or b"",
                    headers=headers,
                )
            )
        return self.records

    def of_user(self, user: str, topic: str | None = None) -> list[Record]:
        """The records read so far that carry `user`'s events (on `topic`)."""
        return [
            r for r in self.records if (topic is None or r.topic == topic) and _user_of(r) == user
        ]

    def wait_for(
        self, done: Callable[[TopicReader], Any], what: str, timeout: float = 30.0
    ) -> list[Record]:
        """Read until `done(self)` holds; every record read so far. Raises naming `what`."""

        def read() -> dict[str, Any]:
            self.poll(0.2)
            return {"done": done(self), "records read": len(self.records)}

        wait_for(read, what, until=lambda seen: seen["done"], timeout=timeout, interval=0)
        return self.records

    def read_to_end(self, timeout: float = 30.0) -> list[Record]:
        """Read until every partition of the topics is read up to its end as it is now."""
        ends = end_offsets(self.consumer, self.topics)
        return self.wait_for(
            lambda r: all(r._next_offset(tp) >= end for tp, end in ends.items()),
            f"{self.topics} read to their ends {ends}",
            timeout,
        )

    def _next_offset(self, partition: tuple[str, int]) -> int:
        read = [r.offset for r in self.records if (r.topic, r.partition) == partition]
        return max(read) + 1 if read else self._low.setdefault(partition, self._start(partition))

    def _start(self, partition: tuple[str, int]) -> int:
        low, _ = self.consumer.get_watermark_offsets(TopicPartition(*partition), TIMEOUT)
        return int(low)

    def close(self) -> None:
        self.consumer.close()


def end_offsets(consumer: Consumer, topics: Iterable[str]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> the offset the next record will get; topics not created yet
    have no partitions."""
    metadata = consumer.list_topics(timeout=TIMEOUT).topics
    ends = {}
    for topic in topics:
        for partition in metadata[topic].partitions if topic in metadata else ():
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), TIMEOUT)
            ends[(topic, partition)] = int(high)
    return ends


class GroupLag:
    """How many records the consumer groups have yet to commit, and how many records
    their topics have ever held (which grows with every publish)."""

    def __init__(self, bootstrap: str, groups: dict[str, set[str]]) -> None:
        self.groups = groups
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": f"todomesh-test-lag-{uuid.uuid4().hex}"}
        )

    def read(self) -> tuple[int, int]:
        """(records the groups still owe, records ever published on their topics)."""
        topics = set().union(*self.groups.values())
        ends = end_offsets(self.consumer, topics)
        behind = 0
        for group, subscribed in self.groups.items():
            wanted = [TopicPartition(t, p) for t, p in ends if t in subscribed]
            if not wanted:
                continue
            request = ConsumerGroupTopicPartitions(group, wanted)
            [future] = self.admin.list_consumer_group_offsets([request]).values()
            for tp in future.result(TIMEOUT).topic_partitions:
                committed = tp.offset if tp.offset >= 0 else self._start(tp)  # oldest
                behind += max(0, ends[(tp.topic, tp.partition)] - committed)
        return behind, sum(ends.values())

    def _start(self, tp: TopicPartition) -> int:
        low, _ = self.consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition))
        return int(low)

    def close(self) -> None:
        self.consumer.close()


def _user_of(record: Record) -> str | None:
    try:
        return record.user_id
    except ValueError:  # not JSON: nobody's
        return None
