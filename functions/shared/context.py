"""What an app needs at run time, built once by its factory: settings, engine, tables.

`unit_of_work()` owns one transaction. Events emitted inside it are written to
the app's outbox in that same transaction; after the commit the relay is woken.
The objects an app adds beside its tables (the hub's connections, notify's
sender, todo's reminder jobs) are kept here by type: `provide(obj)`, `get(Type)`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from functions.shared.db import make_engine, migrate, reader_factory, session_factory
from functions.shared.events import Event
from functions.shared.idempotency import ProcessedEventMixin
from functions.shared.identity.lazy import LazyVerifier
from functions.shared.logs import configure_logging
from functions.shared.outbox import OutboxMixin, add_envelopes, add_events
from functions.shared.retention import Pruner, prune_app_tables
from functions.shared.settings import Settings
from functions.shared.sidecar import resolve_database_url

log = logging.getLogger(__name__)
T = TypeVar("T")


class Worker(Protocol):
    """A background loop an app runs (outbox relay, delivery retries, pruning)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: list[tuple[str, Event]] = []
        self.envelopes: list[tuple[str, str, dict[str, Any]]] = []

    def emit(self, event: Event, *topics: str) -> None:
        """Publish `event` on each topic once this unit of work commits."""
        self.events.extend((topic, event) for topic in topics)

    def republish(self, topic: str, key: str, envelope: dict[str, Any]) -> None:
        """Publish a CloudEvent as it is (a dead letter's replay) once this commits."""
        self.envelopes.append((topic, key, envelope))

    @property
    def publishes(self) -> bool:
        return bool(self.events or self.envelopes)


@dataclass
class AppContext:
    app_id: str
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]
    outbox: type[OutboxMixin] | None = None
    processed: type[ProcessedEventMixin] | None = None
    # Called after a commit that publishes, with the `(topic, event)` pairs it staged.
    on_commit: list[Callable[[list[tuple[str, Event]]], None]] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    # First step of a shutdown, before the workers stop: close long-lived connections.
    on_goodbye: list[Callable[[], None]] = field(default_factory=list)
    services: dict[type, Any] = field(default_factory=dict)

    def provide(self, service: Any) -> None:
        """Keep `service` for `get(type(service))`."""
        self.services[type(service)] = service

    def get(self, kind: type[T]) -> T:
        service: T = self.services[kind]
        return service

    def find(self, kind: type[T]) -> T | None:
        service: T | None = self.services.get(kind)
        return service

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with self.sessions.begin() as session:
            uow = UnitOfWork(session)
            yield uow
            if uow.publishes:
                if self.outbox is None:
                    raise RuntimeError(f"{self.app_id} has no outbox to publish events")
                add_events(session, self.outbox, uow.events, self.app_id)
                add_envelopes(session, self.outbox, uow.envelopes)
        if uow.publishes:
            for callback in self.on_commit:
                callback(uow.events)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def goodbye(self) -> None:
        for hook in self.on_goodbye:
            hook()

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()
        self.engine.dispose()


def build_context(
    app_id: str,
    settings: Settings,
    *,
    outbox: type[OutboxMixin] | None = None,
    processed: type[ProcessedEventMixin] | None = None,
) -> AppContext:
    """Connect to the app's schema, migrating it first in the embedded mode.

    Logging is set up first, before any library can: the MCP SDK, for one, calls
    `logging.basicConfig` with a Rich handler of its own, which would print every line
    a second time, unredacted, and render each traceback slowly under the handler lock.
    """
    configure_logging(settings.log_level, settings.secrets)
    settings = resolve_database_url(settings)  # may wait for the sidecar's secret store
    engine = make_engine(settings, app_id)
    if settings.mode == "embedded" or settings.auto_migrate:
        migrate(engine, app_id)
    ctx = AppContext(
        app_id, settings, engine, session_factory(engine), reader_factory(engine), outbox, processed
    )
    days = settings.retention_days
    ctx.workers.append(Pruner(f"prune-{app_id}", lambda: prune_app_tables(ctx, days)))
    ctx.provide(LazyVerifier(settings))
    return ctx
