"""What the hub's routes share: its connections, its log, and recording an event."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from functions.hub.connections import Connections
from functions.hub.replay import Message, SqlReplayLog, append
from functions.shared.context import AppContext, UnitOfWork
from functions.shared.events import Event
from functions.shared.settings import Settings

EXTENSION = "hub"
CONNECTIONS_EXTENSION = "hub_connections"


@dataclass
class Hub:
    settings: Settings
    connections: Connections
    log: SqlReplayLog
    poll_seconds: float = 1.0

    def recorder(self, recorded: list[Message]) -> RecordChange:
        return RecordChange(self.settings.hub_retention_count, recorded)


@dataclass
class RecordChange:
    """The consumer handler: append the event to its user's log, keep the message."""

    retention_count: int
    recorded: list[Message]

    def __call__(self, event: Event, uow: UnitOfWork, _ctx: AppContext) -> None:
        self.recorded.append(append(uow.session, event, self.retention_count))


def current_hub() -> Hub:
    return current_app.extensions[EXTENSION]
