"""Read what the platform published to Kafka, as a separate consumer would.

`TopicReader(bootstrap, topics)` subscribes a confluent-kafka consumer in a fresh
consumer group from the earliest offset, so it sees every record of those topics,
whenever it was published and whoever else consumes them. The session's topics
outlive a test: filter by user (`of_user`). Nothing is committed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException


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

    def wait_for(self, done: Callable[[TopicReader], Any], timeout: float = 30.0) -> Any:
        """Poll until `done(self)` is truthy; return its last result (falsy on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            result = done(self)
            if result or time.monotonic() > deadline:
                return result
            self.poll(0.2)

    def close(self) -> None:
        self.consumer.close()


def _user_of(record: Record) -> str | None:
    try:
        return record.user_id
    except ValueError:  # not JSON: nobody's
        return None
