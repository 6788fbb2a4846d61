"""The embedded runtime's durable log: what Kafka and daprd do for the other modes.

A publish stores the message and one pending delivery per subscription of its
topic in one SQLite transaction, so an acknowledged publish survives a crash.
Deliveries stay pending until the subscriber acknowledges them, so a restart
redelivers whatever was in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, delete, insert, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from functions.runtime.resources import Subscription
from functions.shared.db import UTCDateTime, reader_factory
from functions.shared.events import utcnow

SCHEMA = "runtime"
PENDING, DONE, DEAD, DROPPED = "pending", "done", "dead", "dropped"


class Base(DeclarativeBase):
    pass


class BrokerMessage(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_topic", "topic", "id"), {"schema": SCHEMA})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pubsub: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(128))
    partition_key: Mapped[str] = mapped_column(String(128))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BrokerDelivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_pending", "subscription", "state", "id"),
        {"schema": SCHEMA},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[int] = mapped_column(Integer)
    partition_key: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


def subscription_key(sub: Subscription) -> str:
    return f"{sub.app_id}/{sub.name}"


class Broker:
    """Stores messages and fans them out to the subscriptions of their topic."""

    def __init__(self, sessions: sessionmaker[Session], subscriptions: list[Subscription]):
        self.sessions = sessions
        self.readers = reader_factory(sessions.kw["bind"])
        self.subscriptions = subscriptions
        self._listeners: list[Callable[[str], None]] = []
        self._lock = threading.Lock()

    def on_publish(self, listener: Callable[[str], None]) -> None:
        """Call `listener(subscription_key)` after each publish that gave it work."""
        self._listeners.append(listener)

    def publish(self, pubsub: str, topic: str, envelope: dict[str, Any], key: str) -> None:
        self.publish_many(pubsub, [(topic, envelope, key)])

    def publish_many(self, pubsub: str, items: Sequence[tuple[str, dict[str, Any], str]]) -> None:
        """Store `(topic, envelope, key)` messages and their deliveries in one transaction."""
        now = utcnow()
        rows = [
            {"pubsub": pubsub, "topic": t, "partition_key": k, "envelope": e, "published_at": now}
            for t, e, k in items
        ]
        with self.sessions.begin() as session:
            ids = session.scalars(
                insert(BrokerMessage).returning(BrokerMessage.id, sort_by_parameter_order=True),
                rows,
            ).all()
            # Every pub/sub component of ours points at the same brokers (as `pubsub` and
            # `pubsub-hub` do on Kafka), so a topic's subscribers are all of its
            # subscriptions, whichever component they name.
            deliveries = [
                {
                    "subscription": subscription_key(sub),
                    "message_id": message_id,
                    "partition_key": row["partition_key"],
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for message_id, row in zip(ids, rows, strict=True)
                for sub in self.subscriptions
                if sub.topic == row["topic"]
            ]
            if deliveries:
                session.execute(insert(BrokerDelivery), deliveries)
        woken = {d["subscription"] for d in deliveries}
        for listener in self._listeners:
            for sub_key in woken:
                listener(sub_key)

    def resume(self, subscriptions: Collection[str]) -> None:
        """After a restart, what was in flight for `subscriptions` (keys) is due again at
        once, as a Kafka consumer resumes from its last committed offset."""
        with self.sessions.begin() as session:
            session.execute(
                update(BrokerDelivery)
                .where(
                    BrokerDelivery.state == PENDING,
                    BrokerDelivery.subscription.in_(list(subscriptions)),
                )
                .values(next_attempt_at=utcnow())
            )

    def prune(self, max_age: timedelta) -> int:
        """Forget messages older than `max_age` that no subscription still waits for, as
        Kafka's retention drops old segments; return how many went. A pending
        delivery keeps its message, however old."""
        waiting = select(BrokerDelivery.message_id).where(BrokerDelivery.state == PENDING)
        expired = select(BrokerMessage.id).where(
            BrokerMessage.published_at < utcnow() - max_age, BrokerMessage.id.not_in(waiting)
        )
        with self.sessions.begin() as session:
            session.execute(delete(BrokerDelivery).where(BrokerDelivery.message_id.in_(expired)))
            return int(
                session.execute(delete(BrokerMessage).where(BrokerMessage.id.in_(expired))).rowcount
            )

    def messages(self, topic: str) -> list[BrokerMessage]:
        """Everything ever published on `topic`, oldest first (used for dead letters)."""
        with self.readers() as session:
            return list(
                session.scalars(
                    select(BrokerMessage)
                    .where(BrokerMessage.topic == topic)
                    .order_by(BrokerMessage.id)
                )
            )


class BrokerPublisher:
    """The outbox relay's `Publisher` for the embedded mode."""

    def __init__(self, broker: Broker, pubsub: str = "pubsub") -> None:
        self.broker = broker
        self.pubsub = pubsub

    def publish(self, topic: str, envelope: dict[str, Any], key: str) -> None:
        self.broker.publish(self.pubsub, topic, envelope, key)

    def publish_many(self, items: Sequence[tuple[str, dict[str, Any], str]]) -> tuple[int, ...]:
        """A whole relay batch in one transaction: all of it is published, or none."""
        self.broker.publish_many(self.pubsub, items)
        return ()
