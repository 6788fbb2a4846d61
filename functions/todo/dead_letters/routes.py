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

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from cloudevents.http import from_http
from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import Counter
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from functions.shared import web
from functions.shared.consumer import DropEvent, RetryEvent, context, require_dapr
from functions.shared.context import AppContext, UnitOfWork
from functions.shared.db import is_unavailable
from functions.shared.events import Topic, utcnow
from functions.shared.idempotency import insert_new
from functions.shared.problems import Problem, ValidationFailed
from functions.todo.models import DLQ_SUFFIX, DeadLetter, Task

log = logging.getLogger(__name__)
DEAD, REPLAYED, KEPT, SUPERSEDED = "dead", "replayed", "kept", "superseded"
STATES = (DEAD, REPLAYED, KEPT, SUPERSEDED)
DLQ_TOPICS = tuple(f"{topic}{DLQ_SUFFIX}" for topic in Topic)
PARKED_TOPIC = "dead-letters-parked"
SUPERSEDED_DETAIL = "The task has changed since; this older snapshot would roll live views back"
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

dead_letter_routes = Blueprint("dead_letters", __name__)


@dead_letter_routes.post("/events/dead-letters/<topic>")
def receive(topic: str) -> Response:
    """daprd delivers a dead letter of `topic`; keep it (once per event id)."""
    require_dapr()
    if topic not in DLQ_TOPICS:
        raise Problem(404, "Not Found", f"{topic} is not a dead-letter topic.")
    envelope = _envelope()
    g.delivered_by_dapr = True
    try:
        with context().unit_of_work() as uow:
            letter, arrived = record(uow.session, topic, envelope)
    except Exception as exc:
        if is_unavailable(exc):
            log.warning("database unavailable; asking for redelivery", extra={"error": str(exc)})
            raise RetryEvent(str(exc)) from exc
        log.exception("dead letter cannot be stored; parked")
        raise DropEvent(f"cannot be stored: {exc.__class__.__name__}") from exc
    if arrived:
        RECEIVED.labels(topic).inc()
        log.warning(
            "dead letter received",
            extra={"topic": topic, "event_id": letter.event_id, "times_dead": letter.times_dead},
        )
    return jsonify(status="SUCCESS")


@dead_letter_routes.get("/api/admin/dead-letters")
def list_() -> Response:
    web.require_admin()
    query = DeadLetterQuery.from_args(request.args)
    with context().readers() as session:
        letters, next_cursor = list_dead_letters(session, query)
        return jsonify(items=[letter.view() for letter in letters], next_cursor=next_cursor)


@dead_letter_routes.post("/api/admin/dead-letters/<int:letter_id>/replay")
def replay_one(letter_id: int) -> tuple[Response, int]:
    web.require_admin()
    with context().unit_of_work() as uow:
        letter = uow.session.get(DeadLetter, letter_id, with_for_update=True)
        if letter is None:
            raise Problem(404, "Not Found", f"No dead letter {letter_id}.")
        if letter.state == KEPT:
            reason = _unreplayable(letter.envelope, letter.event_id, letter.partition_key)
            raise Problem(409, "Cannot be replayed", reason)
        if letter.state == REPLAYED:
            raise Problem(409, "Already replayed", "It was replayed and has not come back since.")
        if letter.state == SUPERSEDED:
            raise Problem(409, "Superseded", f"{SUPERSEDED_DETAIL}.")
        newer = _newer_version(uow.session, letter)
        if newer is None:
            replay(letter, uow)
        else:
            letter.state = SUPERSEDED  # kept: the 409 below comes after the commit
        view = letter.view()
    if newer is not None:
        raise Problem(409, "Superseded", f"{SUPERSEDED_DETAIL} (version {newer} now).")
    REPLAYED_TOTAL.labels(letter.topic).inc()
    return jsonify(view), 202


@dead_letter_routes.post("/api/admin/dead-letters/replay")
def replay_many() -> tuple[Response, int]:
    web.require_admin()
    body = web.json_object()
    errors = [{"field": name, "message": "is not a replay field"} for name in body]
    errors = [error for error in errors if error["field"] != "topic"]
    topic = body.get("topic")
    if topic is not None and topic not in DLQ_TOPICS:
        errors.append({"field": "topic", "message": f"must be one of {', '.join(DLQ_TOPICS)}"})
    if errors:
        raise ValidationFailed(errors)
    dead = select(DeadLetter).where(DeadLetter.state == DEAD)
    if topic is not None:
        dead = dead.where(DeadLetter.topic == topic)
    batch = dead.order_by(DeadLetter.id).limit(REPLAY_BATCH).with_for_update(skip_locked=True)
    replayed: list[str] = []
    superseded = 0
    with context().unit_of_work() as uow:
        for letter in uow.session.scalars(batch):
            if _newer_version(uow.session, letter) is not None:
                letter.state = SUPERSEDED
                superseded += 1
            else:
                replay(letter, uow)
                replayed.append(letter.topic)
        uow.session.flush()
        remaining = uow.session.scalar(select(func.count()).select_from(dead.subquery()))
    for dlq in replayed:
        REPLAYED_TOTAL.labels(dlq).inc()
    return jsonify(replayed=len(replayed), superseded=superseded, remaining=remaining), 202


def record(session: Session, topic: str, envelope: dict[str, Any]) -> tuple[DeadLetter, bool]:
    """Keep a dead letter once per (topic, event id); return it and whether it arrived
    (new, or back after a replay) rather than being a redelivery."""
    now = utcnow()
    event_id = str(envelope.get("id") or "")[:128] or _digest(envelope)
    key = _key_of(envelope)[:128]
    new = insert_new(
        session,
        DeadLetter,
        topic=topic,
        event_id=event_id,
        event_type=str(envelope.get("type") or "unknown")[:128],
        partition_key=key,
        envelope=envelope,
        state=KEPT if _unreplayable(envelope, event_id, key) else DEAD,
        times_dead=1,
        replays=0,
        first_dead_at=now,
        last_dead_at=now,
    )
    letter = session.scalars(
        select(DeadLetter)
        .where(DeadLetter.topic == topic, DeadLetter.event_id == event_id)
        .with_for_update()
    ).one()
    if new:
        return letter, True
    if letter.state == REPLAYED:
        letter.state, letter.last_dead_at = DEAD, now
        letter.times_dead += 1
        return letter, True
    return letter, False


def replay(letter: DeadLetter, uow: UnitOfWork) -> None:
    """Republish `letter` to its original topic when `uow` commits."""
    uow.republish(letter.original_topic, letter.partition_key, letter.envelope)
    letter.state, letter.replayed_at = REPLAYED, utcnow()
    letter.replays += 1


def prune_dead_letters(ctx: AppContext, retention_days: float) -> int:
    """Forget settled letters (replayed, superseded, kept) not seen for `retention_days`;
    `dead` ones wait for an operator, however old."""
    cutoff = utcnow() - timedelta(days=retention_days)
    with ctx.sessions.begin() as session:
        result = session.execute(
            delete(DeadLetter).where(DeadLetter.state != DEAD, DeadLetter.last_dead_at < cutoff)
        )
    return int(result.rowcount or 0)


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
                "state": web.one_of(STATES),
                "limit": web.limit,
                "cursor": partial(web.moment_cursor, key_type=int),
            },
        )
        return cls(**values)


def list_dead_letters(
    session: Session, query: DeadLetterQuery
) -> tuple[list[DeadLetter], str | None]:
    """One page, oldest first, and the next page's cursor (None at the end)."""
    return web.fetch_page(
        session, _statement(query), query.limit, lambda letter: (letter.first_dead_at, letter.id)
    )


def _statement(query: DeadLetterQuery) -> Select[tuple[DeadLetter]]:
    statement = select(DeadLetter)
    if query.topic:
        statement = statement.where(DeadLetter.topic == query.topic)
    if query.state:
        statement = statement.where(DeadLetter.state == query.state)
    if query.cursor:
        statement = statement.where(
            web.after_cursor(query.cursor, DeadLetter.first_dead_at, DeadLetter.id)
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


def _unreplayable(envelope: dict[str, Any], event_id: str, key: str) -> str | None:
    """Why a letter can never be republished as it is, if it cannot."""
    if "specversion" not in envelope:
        return "It is not a CloudEvent; it is kept only to be read."
    if len(event_id) > MAX_EVENT_ID or len(key) > MAX_KEY:
        return "Its id or partition key is longer than any event of this platform."
    return None


def _newer_version(session: Session, letter: DeadLetter) -> int | None:
    """The task's current version when a task-updates letter carries an older snapshot."""
    if letter.original_topic != Topic.TASK_UPDATES:
        return None
    data = letter.envelope.get("data")
    payload = data.get("payload") if isinstance(data, dict) else None
    version = payload.get("version") if isinstance(payload, dict) else None
    if not isinstance(version, int):
        return None
    task = session.get(Task, letter.partition_key)
    return task.version if task is not None and task.version > version else None
