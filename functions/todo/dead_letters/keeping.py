"""What todo does with a dead letter: keep it once, replay it, forget it when settled.

See `functions.todo.dead_letters` for the states and why a replay goes through the outbox.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from functions.shared.context import AppContext, UnitOfWork
from functions.shared.events import Topic, utcnow
from functions.shared.idempotency import insert_new
from functions.todo.models import DLQ_SUFFIX, DeadLetter, Task

DEAD, REPLAYED, KEPT, SUPERSEDED = "dead", "replayed", "kept", "superseded"
STATES = (DEAD, REPLAYED, KEPT, SUPERSEDED)
DLQ_TOPICS = tuple(f"{topic}{DLQ_SUFFIX}" for topic in Topic)
PARKED_TOPIC = "dead-letters-parked"
SUPERSEDED_DETAIL = "The task has changed since; this older snapshot would roll live views back"
# The outbox's column sizes: a foreign event with a longer id or key cannot go back.
MAX_EVENT_ID, MAX_KEY = 36, 64


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
        state=KEPT if unreplayable(envelope, event_id, key) else DEAD,
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


def _key_of(envelope: dict[str, Any]) -> str:
    data = envelope.get("data")
    task_id = data.get("task_id") if isinstance(data, dict) else None
    return str(envelope.get("subject") or task_id or envelope.get("id") or "")


def _digest(envelope: dict[str, Any]) -> str:
    raw = str(envelope.get("raw", envelope)).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:32]


def unreplayable(envelope: dict[str, Any], event_id: str, key: str) -> str | None:
    """Why a letter can never be republished as it is, if it cannot."""
    if "specversion" not in envelope:
        return "It is not a CloudEvent; it is kept only to be read."
    if len(event_id) > MAX_EVENT_ID or len(key) > MAX_KEY:
        return "Its id or partition key is longer than any event of this platform."
    return None


def newer_version(session: Session, letter: DeadLetter) -> int | None:
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
