"""Quiet states: the observable facts meaning "whatever was going to happen has happened",
so that a test can then assert that something did NOT happen, without sleeping.

An event is owed somewhere until it is handled: committed to an app's outbox and not yet
published, published and not yet delivered (the embedded runtime's pending deliveries,
or a Kafka consumer group's lag), or, for a reminder, a notification with an attempt
still to come. Each hop writes the next one before it settles its own, so a `Backlog`
that owes nothing, read twice in a row with nothing published in between, means that
nothing more will come of what the test did.

`embedded_backlog(data_dir)` reads the SQLite files of `todomesh dev` read-only;
`DaprBacklog` reads the same tables in PostgreSQL and the consumer groups' lag in Kafka.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import Connection, TableClause, column, create_engine, func, select, table

from tests.support.kafka import GroupLag
from tests.support.waiting import wait_for

OUTBOX_APPS = ("todo", "recurring", "notify")  # the apps that publish
SUBSCRIPTIONS = Path(__file__).resolve().parents[2] / "dapr" / "subscriptions"
PER_POD = "pubsub-hub"  # its consumer group is the pod's name; the others' is the app id


@dataclass(frozen=True)
class Backlog:
    outbox: tuple[tuple[str, int], ...]  # (app, events committed but not published)
    undelivered: int  # deliveries the runtime, or Kafka, still owes a subscriber
    notifications: int  # notifications with another attempt to come
    published: int  # how many messages were ever published: grows with every hop

    @property
    def owes_nothing(self) -> bool:
        return not (self.undelivered or self.notifications or any(n for _, n in self.outbox))


def wait_quiet(probe: Callable[[], Backlog], what: str, timeout: float = 60.0) -> Backlog:
    """Wait until two reads of `probe` in a row owe nothing and agree (nothing was published
    in between); raise naming `what` and the last backlog otherwise."""
    previous: list[Backlog] = []

    def settled(now: Backlog) -> bool:
        quiet = bool(previous) and now.owes_nothing and now == previous[-1]
        previous.append(now)
        return quiet

    return wait_for(probe, f"quiet: {what}", until=settled, timeout=timeout, interval=0.2)


def _outbox(schema: str | None) -> TableClause:
    return table("outbox", column("published_at"), schema=schema)


def _notifications(schema: str | None) -> TableClause:
    return table("notifications", column("status"), schema=schema)


def _unpublished(conn: Connection, schema: str | None) -> int:
    outbox = _outbox(schema)
    query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    return int(conn.execute(query).scalar_one())


def _pending_notifications(conn: Connection, schema: str | None) -> int:
    notifications = _notifications(schema)
    query = select(func.count()).select_from(notifications)
    return int(conn.execute(query.where(notifications.c.status == "pending")).scalar_one())


def _read_only(path: Path) -> Callable[[Callable[[Connection], int]], int]:
    """Run one read on the SQLite file at `path`, opened read-only (0 if it is not there)."""

    def read(query: Callable[[Connection], int]) -> int:
        if not path.exists():
            return 0
        engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                return query(conn)
        finally:
            engine.dispose()

    return read


def embedded_backlog(data_dir: Path) -> Backlog:
    """What the embedded platform with this data directory still owes (read-only)."""
    outbox = tuple(
        (app, _read_only(data_dir / f"{app}.db")(lambda c: _unpublished(c, None)))
        for app in OUTBOX_APPS
    )
    notifications = _read_only(data_dir / "notify.db")(lambda c: _pending_notifications(c, None))
    runtime = _read_only(data_dir / "runtime.db")
    deliveries = table("deliveries", column("state"))
    messages = table("messages", column("id"))
    undelivered = runtime(
        lambda c: int(
            c.execute(
                select(func.count()).select_from(deliveries).where(deliveries.c.state == "pending")
            ).scalar_one()
        )
    )
    published = runtime(
        lambda c: int(c.execute(select(func.coalesce(func.max(messages.c.id), 0))).scalar_one())
    )
    return Backlog(outbox, undelivered, notifications, published)


class DaprBacklog:
    """What the self-hosted platform on `database_url` still owes: the apps' tables in
    PostgreSQL (one schema per app) and the lag of its consumer groups (`lag`)."""

    def __init__(self, database_url: str, lag: GroupLag) -> None:
        self.engine = create_engine(database_url)
        self.lag = lag

    def __call__(self) -> Backlog:
        with self.engine.connect() as conn:
            outbox = tuple((app, _unpublished(conn, app)) for app in OUTBOX_APPS)
            notifications = _pending_notifications(conn, "notify")
        undelivered, published = self.lag.read()
        return Backlog(outbox, undelivered, notifications, published)

    def close(self) -> None:
        self.engine.dispose()
        self.lag.close()


def subscriptions() -> dict[str, set[tuple[str, str]]]:
    """app id -> the (pubsub, topic) pairs its declarative subscriptions name."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in sorted(SUBSCRIPTIONS.glob("*.yaml")):
        resource = yaml.safe_load(path.read_text())
        spec = resource["spec"]
        for app_id in resource.get("scopes", []):
            found.setdefault(app_id, set()).add((spec["pubsubname"], spec["topic"]))
    return found


def consumer_groups(members: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """The Kafka consumer groups of running sidecars, given as (app id, pod name) pairs:
    group -> the topics it consumes."""
    subscribed = subscriptions()
    groups: dict[str, set[str]] = {}
    for app_id, pod in members:
        for pubsub, topic in subscribed.get(app_id, ()):
            groups.setdefault(pod if pubsub == PER_POD else app_id, set()).add(topic)
    return groups
