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
- a hint lost while the consumer process restarts costs at most a moment. The
  restarted process sends `EVERYONE`, and each connected user is pushed their latest
  message from the log; a stream that lacks the ones before it fills the gap from the
  log, as it does for any gap (`functions.hub.stream`).

In the other modes the process that records also holds the clients, and pushes itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, unquote

from functions.hub.connections import Connections
from functions.hub.replay import Message, SqlReplayLog

PREFIX = "hub:"
EVERYONE = f"{PREFIX}*"  # a quoted user id never is `*`


def hints(messages: Iterable[Message]) -> list[str]:
    """One key per message: `hub:<user, percent-encoded>:<seq>:<text>`."""
    return [f"{PREFIX}{quote(m.user_id, safe='')}:{m.seq}:{m.text}" for m in messages]


def follow(key: str, connections: Connections, replay_log: SqlReplayLog) -> None:
    """Push to this process's clients what the hint `key` carries."""
    if key == EVERYONE:
        for user_id in connections.users():
            last = replay_log.head(user_id).last_seq
            for message in replay_log.after(user_id, last - 1, last):
                connections.publish(message)
        return
    connections.publish(parse(key))


def parse(key: str) -> Message:
    """The message a hint carries (not `EVERYONE`)."""
    user, seq, text = key.removeprefix(PREFIX).split(":", 2)
    return Message(unquote(user), int(seq), text)
