"""Dead letters: every `<topic>-dlq` lands here, to be looked at and replayed.

A subscription sends what it gives up on (`DROP`, or inbound retries run out
during a long outage) to `<topic>-dlq`. todo subscribes to every dead-letter
topic (`dapr/subscriptions/todo-*-dlq.yaml`) and keeps one row per
(topic, event id). Administrators:

- `GET /api/admin/dead-letters?topic=&state=&limit=&cursor=` list them, oldest first;
- `POST /api/admin/dead-letters/<id>/replay` republishes one to its original topic;
- `POST /api/admin/dead-letters/replay` `{"topic": ...}` replays every dead one
  (at most `REPLAY_BATCH` per call).

A replay goes through the outbox, in the transaction that marks the letter
replayed, with the event's own id and partition key. Consumers dedupe by event
id, so it changes only those that never processed it; a poison event is simply
dead-lettered again (`times_dead` grows). The dead-letter subscriptions name
their own topic as their dead-letter topic: a letter todo cannot store now goes
back to the end of its queue, so it is neither lost nor blocking.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from cloudevents.http import from_http
from flask import Blueprint, Response, jsonify, request
from prometheus_client import Counter
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from functions.shared import web
from functions.shared.consumer import RetryEvent, context, require_dapr
from functions.shared.context import UnitOfWork
from functions.shared.events import Topic, utcnow
from functions.shared.problems import Problem, ValidationFailed
from functions.todo.models import DLQ_SUFFIX, DeadLetter

log = logging.getLogger(__name__)
DEAD, REPLAYED = "dead", "replayed"
DLQ_TOPICS = tuple(f"{topic}{DLQ_SUFFIX}" for topic in Topic)
REPLAY_BATCH = 500
MAX_RAW_CHARS = 64 * 1024
# What daprd adds to an envelope on delivery; a replay publishes the event as it was.
DAPR_DELIVERY_FIELDS = frozenset({"pubsubname", "topic", "traceid"})
# The outbox's column sizes: a foreign event with a longer id or key cannot go back.
MAX_EVENT_ID, MAX_KEY = 36, 64

RECEIVED = Counter(
    "todomesh_dead_letters_total", "Dead letters received from a dead-letter topic", ["topic"]
)
REPLAYED_TOTAL = Counter(
    "todomesh_dead_letters_replayed_total", "Dead letters replayed to their topic", ["topic"]
)

dead_letters = Blueprint("dead_letters", __name__)


@dead_letters.post("/events/dead-letters/<topic>")
def receive(topic: str) -> Response:
    """daprd delivers a dead letter of `topic`; keep it (once per event id)."""
    require_dapr()
    if topic not in DLQ_TOPICS:
        raise Problem(404, "Not Found", f"{topic} is not a dead-letter topic.")
    envelope = _envelope()
    try:
        with context().unit_of_work() as uow:
            letter = record(uow.session, topic, envelope)
    except Exception as exc:
        log.warning("dead letter not stored; asking for redelivery", extra={"error": str(exc)})
        raise RetryEvent(str(exc)) from exc
    RECEIVED.labels(topic).inc()
    log.warning(
        "dead letter received",
        extra={"topic": topic, "event_id": letter.event_id, "times_dead": letter.times_dead},
    )
    return jsonify(status="SUCCESS")


@dead_letters.get("/api/admin/dead-letters")
def list_() -> Response:
    web.require_admin()
    query = DeadLetterQuery.from_args(request.args)
    with context().readers() as session:
        letters, next_cursor = list_dead_letters(session, query)
        return jsonify(items=[letter.view() for letter in letters], next_cursor=next_cursor)


@dead_letters.post("/api/admin/dead-letters/<int:letter_id>/replay")
def replay_one(letter_id: int) -> tuple[Response, int]:
    web.require_admin()
    with context().unit_of_work() as uow:
        letter = uow.session.get(DeadLetter, letter_id, with_for_update=True)
        if letter is None:
            raise Problem(404, "Not Found", f"No dead letter {letter_id}.")
        if letter.state != DEAD:
            raise Problem(
                409,
                "Already replayed",
                "This dead letter was replayed and has not come back since.",
            )
        _require_replayable(letter)
        replay(letter, uow)
        view = letter.view()
    return jsonify(view), 202


@dead_letters.post("/api/admin/dead-letters/replay")
def replay_many() -> tuple[Response, int]:
    web.require_admin()
    body = web.json_object()
    unknown = [
        {"field": name, "message": "is not a replay field"} for name in body if name != "topic"
    ]
    topic = body.get("topic")
    if topic is not None and topic not in DLQ_TOPICS:
        unknown.append({"field": "topic", "message": f"must be one of {', '.join(DLQ_TOPICS)}"})
    if unknown:
        raise ValidationFailed(unknown)
    statement = select(DeadLetter).where(DeadLetter.state == DEAD)
    if topic is not None:
        statement = statement.where(DeadLetter.topic == topic)
    statement = statement.order_by(DeadLetter.id).limit(REPLAY_BATCH)
    replayed, skipped = 0, 0
    with context().unit_of_work() as uow:
        for letter in uow.session.scalars(statement.with_for_update(skip_locked=True)):
            if _unreplayable(letter):
                skipped += 1
                continue
            replay(letter, uow)
            replayed += 1
    return jsonify(replayed=replayed, skipped=skipped, batch=REPLAY_BATCH), 202


def record(session: Session, topic: str, envelope: dict[str, Any]) -> DeadLetter:
    """Keep a dead letter: new, back again after a replay, or a redelivery (unchanged)."""
    now = utcnow()
    event_id = str(envelope.get("id") or "")[:128] or _digest(envelope)
    letter = session.scalar(
        select(DeadLetter)
        .where(DeadLetter.topic == topic, DeadLetter.event_id == event_id)
        .with_for_update()
    )
    if letter is None:
        letter = DeadLetter(
            topic=topic,
            event_id=event_id,
            event_type=str(envelope.get("type") or "unknown")[:128],
            partition_key=_key_of(envelope)[:128],
            envelope=envelope,
            state=DEAD,
            times_dead=1,
            replays=0,
            first_dead_at=now,
            last_dead_at=now,
        )
        session.add(letter)
        session.flush()
    elif letter.state == REPLAYED:
        letter.state, letter.last_dead_at = DEAD, now
        letter.times_dead += 1
    return letter


def replay(letter: DeadLetter, uow: UnitOfWork) -> None:
    """Republish `letter` to its original topic when `uow` commits."""
    uow.republish(letter.original_topic, letter.partition_key, letter.envelope)
    letter.state, letter.replayed_at = REPLAYED, utcnow()
    letter.replays += 1
    REPLAYED_TOTAL.labels(letter.topic).inc()


@dataclass(frozen=True)
class DeadLetterQuery:
    topic: str | None = None
    state: str | None = None
    limit: int = web.DEFAULT_LIMIT
    cursor: tuple[Any, int] | None = None

    @classmethod
    def from_args(cls, args: Any) -> DeadLetterQuery:
        """Validate `topic`, `state`, `limit`, `cursor`: one 422 names every bad one."""
        values = web.query_values(
            args,
            {
                "topic": web.one_of(DLQ_TOPICS),
                "state": web.one_of((DEAD, REPLAYED)),
                "limit": web.limit,
                "cursor": partial(web.moment_cursor, key_type=int),
            },
        )
        return cls(**values)


def list_dead_letters(
    session: Session, query: DeadLetterQuery
) -> tuple[list[DeadLetter], str | None]:
    """One page, oldest first, and the next page's cursor (None at the end)."""
    rows = session.scalars(_statement(query).limit(query.limit + 1)).all()
    return web.page_of(rows, query.limit, lambda letter: (letter.first_dead_at, letter.id))


def _statement(query: DeadLetterQuery) -> Select[tuple[DeadLetter]]:
    statement = select(DeadLetter)
    if query.topic:
        statement = statement.where(DeadLetter.topic == query.topic)
    if query.state:
        statement = statement.where(DeadLetter.state == query.state)
    if query.cursor:
        at, letter_id = query.cursor
        statement = statement.where(
            or_(
                DeadLetter.first_dead_at > at,
                (DeadLetter.first_dead_at == at) & (DeadLetter.id > letter_id),
            )
        )
    return statement.order_by(DeadLetter.first_dead_at, DeadLetter.id)


def _envelope() -> dict[str, Any]:
    """The dead letter as a CloudEvent dict without daprd's delivery fields; a body that is
    no CloudEvent at all is kept raw (it cannot be replayed, but it is not lost)."""
    body = request.get_data()
    try:
        cloud_event = from_http(request.headers, body)
    except Exception:  # the SDK raises several kinds; none of them may lose the letter
        return {"raw": body.decode("utf-8", "replace")[:MAX_RAW_CHARS]}
    envelope = {
        name: value
        for name, value in cloud_event.get_attributes().items()
        if name not in DAPR_DELIVERY_FIELDS
    }
    data = cloud_event.get_data()
    if data is not None:
        envelope["data"] = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return envelope


def _key_of(envelope: dict[str, Any]) -> str:
    data = envelope.get("data")
    task_id = data.get("task_id") if isinstance(data, dict) else None
    return str(envelope.get("subject") or task_id or envelope.get("id") or "")


def _digest(envelope: dict[str, Any]) -> str:
    raw = str(envelope.get("raw", envelope)).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:32]


def _unreplayable(letter: DeadLetter) -> str | None:
    """Why `letter` cannot be republished as it is, if it cannot."""
    if "specversion" not in letter.envelope:
        return "It is not a CloudEvent; it is kept only to be read."
    if len(letter.event_id) > MAX_EVENT_ID or len(letter.partition_key) > MAX_KEY:
        return "Its id or partition key is longer than any event of this platform."
    return None


def _require_replayable(letter: DeadLetter) -> None:
    reason = _unreplayable(letter)
    if reason:
        raise Problem(409, "Cannot be replayed", reason)
