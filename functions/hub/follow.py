"""The hub split across `todomesh dev`'s two processes: one records, the other pushes.

Appending a delivery to the replay log is most of the hub's work per event. In the
serving process it took the interpreter from the API, which also holds the
WebSockets, so `todomesh dev` records in its consumer process
(`functions.runtime.consumers`) and pushes from the server:

- after its commit, the recording side sends each message it logged over the
  processes' link, one line each (`hints`): the user, the `seq` and the message's
  text, which is JSON and so holds no line break;
- the serving side pushes it to its clients of that user, as if it had recorded it
  (`follow`). It reads nothing: reading the log back for each hint, beside 10,000
  WebSockets on its loop, fell behind 100 writes per second;
- a hint lost costs a client at most a moment: a consumer process that starts (after
  one that died between its commit and its send) sends `EVERYONE`, as does the link
  when too many hints wait (`functions.runtime.link`). The server then pushes each
  connected user's latest message from the log, in one query per 500 users and in a
  thread of its own (`CatchUp`); a stream that lacks the ones before it fills the gap
  from the log, as it does for any gap (`functions.hub.stream`).

In the other modes the process that records also holds the clients, and pushes itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote, unquote

from functions.hub.connections import Connections
from functions.hub.replay import Message, SqlReplayLog
from functions.shared.loop import Loop

log = logging.getLogger(__name__)
PREFIX = "hub:"
EVERYONE = f"{PREFIX}*"  # a quoted user id never is `*`
RETRY_SECONDS = 1.0


def hints(messages: Iterable[Message]) -> list[str]:
    """One key per message: `hub:<user, percent-encoded>:<seq>:<text>`."""
    return [f"{PREFIX}{quote(m.user_id, safe='')}:{m.seq}:{m.text}" for m in messages]


def follow(key: str, connections: Connections, catch_up: CatchUp) -> None:
    """Push to this process's clients what the hint `key` carries, or for `EVERYONE` have
    `catch_up` push each one's latest. A `ValueError` for a key that is no hint."""
    if key == EVERYONE:
        catch_up.wake()
    else:
        connections.publish(parse(key))


def parse(key: str) -> Message:
    """The message a hint carries (not `EVERYONE`)."""
    user, seq, text = key.removeprefix(PREFIX).split(":", 2)
    return Message(unquote(user), int(seq), text)


class CatchUp(Loop):
    """Where the clients are: on each `wake()`, push every connected user's latest
    message, so that a stream missing earlier ones fills the gap from the log."""

    def __init__(self, connections: Connections, replay_log: SqlReplayLog) -> None:
        super().__init__("hub-catch-up")
        self.connections, self.replay_log = connections, replay_log

    def step(self) -> None:
        self.idle(3600.0)  # only a wake has work for it
        if self.stopping:
            return
        try:
            for message in self.replay_log.latest(self.connections.users()):
                self.connections.publish(message)
        except Exception as exc:
            log.warning("the hub's catch-up failed; trying again", extra={"error": str(exc)})
            self.pause(RETRY_SECONDS)
            self.wake()
