"""What the hub's routes share: its settings, connections and replay log, and recording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from functions.hub import follow
from functions.hub.connections import Connections
from functions.hub.replay import Message, SqlReplayLog, append, append_many
from functions.shared.context import UnitOfWork
from functions.shared.events import Event
from functions.shared.identity.web import Verifier
from functions.shared.settings import Settings


@dataclass
class Hub:
    settings: Settings
    connections: Connections
    replay_log: SqlReplayLog
    verifier: Verifier
    # where another process holds the clients (`todomesh dev`): sends it a hint
    elsewhere: Callable[[str], None] | None = None

    def record(self, event: Event, uow: UnitOfWork) -> Message:
        """The consumer handler: append the event to its user's replay log (once)."""
        return append(uow.session, event, self.settings.hub_retention_count)

    def record_many(self, events: list[Event], uow: UnitOfWork) -> list[Message]:
        """`record` for a batch of events."""
        return append_many(uow.session, events, self.settings.hub_retention_count)

    def push(self, messages: list[Message]) -> None:
        """Fan out what was recorded: to this process's clients, or as hints to the
        process that holds them (`functions.hub.follow`)."""
        if self.elsewhere is None:
            for message in messages:
                self.connections.publish(message)
            return
        for key in follow.hints(messages):
            self.elsewhere(key)
