"""Dead letters: every `<topic>-dlq` lands here, to be looked at and replayed.

A subscription sends what it gives up on (`DROP`, or inbound retries run out
during a long outage) to `<topic>-dlq`. todo subscribes to every dead-letter
topic (`dapr/subscriptions/todo-*-dlq.yaml`) and keeps one row per (topic, event
id). Administrators:

- `GET /api/admin/dead-letters?topic=&state=&limit=&cursor=` list them, oldest first;
- `POST /api/admin/dead-letters/<id>/replay` republishes one to its original topic;
- `POST /api/admin/dead-letters/replay` `{"topic": ...}` replays every `dead` one
  (at most `REPLAY_BATCH` per call; `remaining` says how many are left).

A replay goes through the outbox, in the transaction that marks the letter
`replayed`, with the event's own id and partition key. Consumers dedupe by event
id, so it changes only those that never processed it; a poison event is simply
dead-lettered again (`times_dead` grows). A task-updates letter older than the
task's current version is `superseded` instead: the hub's clients already have a
newer state, and an old snapshot pushed live would roll their view back. A body
that is no CloudEvent is `kept` for reading, never replayed.

The dead-letter subscriptions send what todo cannot store to `PARKED_TOPIC`,
which nothing consumes: a terminal stop, so no letter circles forever (daprd
dead-letters an unparseable message without calling the app).
"""

from functions.todo.dead_letters.keeping import DLQ_TOPICS, PARKED_TOPIC, prune_dead_letters
from functions.todo.dead_letters.routes import dead_letter_routes

__all__ = ["DLQ_TOPICS", "PARKED_TOPIC", "dead_letter_routes", "prune_dead_letters"]
