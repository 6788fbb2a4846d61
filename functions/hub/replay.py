"""The durable replay log: append each change once, read a user's changes back in order.

`append` is idempotent by event id: an event seen again (a redelivery, or the
same event reaching another replica) finds its row and keeps its `seq`. New
events lock the user's `user_sequences` row first, so sequences have no gaps
and no duplicates however many threads or replicas append at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from functions.hub import metrics
from functions.hub.models import ProcessedEvent, ReplayEntry, UserSequence
from functions.shared.events import Event, isoformat, utcnow
from functions.shared.idempotency import insert_new


@dataclass(frozen=True)
class Message:
    """One message for a user's clients, serialised once and shared by every connection."""

    user_id: str
    seq: int
    text: str


@dataclass(frozen=True)
class Head:
    """Where a user's log stands: the last `seq` given out and the oldest one kept."""

    last_seq: int
    oldest_seq: int | None


def render(entry: ReplayEntry) -> Message:
    body = {
        "seq": entry.seq,
        "event_id": entry.event_id,
        "type": entry.type,
        "task_id": entry.task_id,
        "payload": entry.payload,
        "time": entry.time,
    }
    return Message(entry.user_id, entry.seq, json.dumps(body, separators=(",", ":")))


def control(kind: str, seq: int, **payload: Any) -> str:
    """A hub message that is not a change (`ready`, `resync`), in the same shape."""
    body = {
        "seq": seq,
        "event_id": None,
        "type": kind,
        "task_id": None,
        "payload": payload,
        "time": isoformat(utcnow()),
    }
    return json.dumps(body, separators=(",", ":"))


def append(session: Session, event: Event, retention_count: int) -> Message:
    """Add `event` to its user's log (once) and return it as a message."""
    _lock_sequence(session, event.user_id)
    existing = session.scalar(select(ReplayEntry).where(ReplayEntry.event_id == event.event_id))
    if existing is not None:
        return render(existing)
    seq = session.execute(
        update(UserSequence)
        .where(UserSequence.user_id == event.user_id)
        .values(last_seq=UserSequence.last_seq + 1)
        .returning(UserSequence.last_seq)
    ).scalar_one()
    entry = ReplayEntry(
        user_id=event.user_id,
        seq=seq,
        event_id=event.event_id,
        type=event.event_type,
        task_id=event.task_id,
        payload=event.payload,
        time=event.timestamp,
        created_at=utcnow(),
    )
    session.add(entry)
    session.execute(
        delete(ReplayEntry).where(
            ReplayEntry.user_id == event.user_id, ReplayEntry.seq <= seq - retention_count
        )
    )
    return render(entry)


def _lock_sequence(session: Session, user_id: str) -> None:
    """Create the user's counter row if missing, then hold its lock until commit."""
    insert_new(session, UserSequence, user_id=user_id, last_seq=0)
    session.execute(
        select(UserSequence.last_seq).where(UserSequence.user_id == user_id).with_for_update()
    )


class SqlReplayLog:
    """Reads of the log for the WebSocket streams (the `LogReader` they use)."""

    def __init__(self, sessions: sessionmaker[Session], page_size: int = 500) -> None:
        self.sessions = sessions
        self.page_size = page_size

    def head(self, user_id: str) -> Head:
        with self.sessions() as session:
            last = session.scalar(
                select(UserSequence.last_seq).where(UserSequence.user_id == user_id)
            )
            oldest = session.scalar(
                select(func.min(ReplayEntry.seq)).where(ReplayEntry.user_id == user_id)
            )
        return Head(last or 0, oldest)

    def after(self, user_id: str, after: int, upto: int) -> list[Message]:
        """Up to one page of the user's messages with `after < seq <= upto`, oldest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(ReplayEntry)
                .where(
                    ReplayEntry.user_id == user_id, ReplayEntry.seq > after, ReplayEntry.seq <= upto
                )
                .order_by(ReplayEntry.seq)
                .limit(self.page_size)
            ).all()
        return [render(row) for row in rows]

    def find(self, event_id: str) -> Message | None:
        with self.sessions() as session:
            row = session.scalar(select(ReplayEntry).where(ReplayEntry.event_id == event_id))
        return render(row) if row is not None else None


def prune(sessions: sessionmaker[Session], max_age_seconds: float) -> int:
    """Forget entries (and dedupe records) older than `max_age_seconds`; return how many."""
    cutoff = utcnow() - timedelta(seconds=max_age_seconds)
    with sessions.begin() as session:
        removed = session.execute(delete(ReplayEntry).where(ReplayEntry.created_at < cutoff))
        session.execute(delete(ProcessedEvent).where(ProcessedEvent.processed_at < cutoff))
    count = int(removed.rowcount or 0)
    metrics.PRUNED.inc(count)
    return count
