"""The hub split across `todomesh dev`'s two processes: one records, the other pushes.

Appending a delivery to the replay log is most of the hub's work per event. In the
serving process it took the interpreter from the API, which also holds the
WebSockets, so `todomesh dev` records in its consumer process
(`functions.runtime.consumers`) and pushes from the server:

- after its commit, the recording side sends one hint per user over the processes'
  link: the user and the range of `seq`s just logged (`hints`);
- the serving side reads that range back from the log, only for a user with a client
  connected here, and fans it out as if it had recorded it (`follow`);
- a hint, like the link's other keys, is never the message: one lost while the consumer
  process restarts costs at most a moment. The restarted process sends `EVERYONE`, and
  each connected user is pushed their latest message; a stream that lacks the ones
  before it fills the gap from the log, as it does for any gap (`functions.hub.stream`).

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
    """One key per user: `hub:<user, percent-encoded>:<first seq>:<last seq>`."""
    ranges: dict[str, tuple[int, int]] = {}
    for message in messages:
        first, last = ranges.get(message.user_id, (message.seq, message.seq))
        ranges[message.user_id] = (min(first, message.seq), max(last, message.seq))
    return [f"{PREFIX}{quote(user, safe='')}:{lo}:{hi}" for user, (lo, hi) in ranges.items()]


def follow(key: str, connections: Connections, replay_log: SqlReplayLog) -> None:
    """Push to this process's clients what the hint `key` names."""
    if key == EVERYONE:
        for user_id in connections.users():
            last = replay_log.head(user_id).last_seq
            _push(connections, replay_log, user_id, last - 1, last)
        return
    user, first, last = key.removeprefix(PREFIX).rsplit(":", 2)
    user_id = unquote(user)
    if connections.count(user_id):
        _push(connections, replay_log, user_id, int(first) - 1, int(last))


def _push(
    connections: Connections, replay_log: SqlReplayLog, user_id: str, after: int, upto: int
) -> None:
    while after < upto and (page := replay_log.after(user_id, after, upto)):
        for message in page:
            connections.publish(message)
        after = page[-1].seq
