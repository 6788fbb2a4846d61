"""The durable replay log: append each change once, read a user's changes back in order.

Each event is appended once, under its delivery's claim of the event id (a
redelivery, or the same event reaching another replica, finds it claimed and
looks its message up by id). Appending locks the user's `user_sequences` row as
it takes the next numbers, so sequences have no gaps and no duplicates however
many threads or replicas append at once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Insert, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from functions.hub import metrics
from functions.hub.models import ProcessedEvent, ReplayEntry, UserSequence
from functions.shared.events import Event, isoformat, utcnow
from functions.shared.idempotency import conflict_insert


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


FIELDS = ("seq", "event_id", "type", "task_id", "payload", "time")


def render(entry: ReplayEntry) -> Message:
    return render_row({name: getattr(entry, name) for name in ("user_id", *FIELDS)})


def render_row(row: Mapping[str, Any]) -> Message:
    """A log row's message (`user_id` and the FIELDS), as `render` makes it."""
    body = {name: row[name] for name in FIELDS}
    return Message(row["user_id"], row["seq"], json.dumps(body, separators=(",", ":")))


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
    """Add `event` to its user's log and return it as a message."""
    return append_many(session, [event], retention_count)[0]


def append_many(session: Session, events: list[Event], retention_count: int) -> list[Message]:
    """Add `events` to their users' logs; a message for each, in order. An event id twice
    in `events` is logged once. Per user, one statement locks their counter and takes a
    `seq` for each of their events; one insert logs them all.

    Each event is appended once: the caller claims its id first in the same transaction
    (`claim_many`, as every delivery does), so a redelivery, or the same event at another
    replica, never reaches here; the log's unique event id would refuse it. The users'
    counters are locked in a fixed order (by id), as the claims before them are, so two
    replicas appending batches of the same users cannot deadlock.

    A log longer than `retention_count` is trimmed back to it each time its last `seq`
    passes a multiple of a tenth of `retention_count`, not on every append: it keeps the
    newest `retention_count` entries and at most a tenth more (as long as the age limit,
    `prune`, keeps them).
    """
    if not events:
        return []
    by_user: dict[str, dict[str, Event]] = {}  # by event id: each logged once
    for event in events:
        by_user.setdefault(event.user_id, {}).setdefault(event.event_id, event)
    take = _take_statement(session.get_bind().dialect.name)
    every = max(1, retention_count // 10)
    rows: list[dict[str, Any]] = []
    logged: dict[str, Message] = {}
    trims: list[dict[str, Any]] = []
    created_at = utcnow()
    for user_id in sorted(by_user):
        theirs = by_user[user_id]
        last = session.execute(take, {"uid": user_id, "count": len(theirs)}).scalar_one()
        first = last - len(theirs) + 1
        for seq, event in enumerate(theirs.values(), start=first):
            row = {
                "user_id": user_id,
                "seq": seq,
                "event_id": event.event_id,
                "type": event.event_type,
                "task_id": event.task_id,
                "payload": event.payload,
                "time": event.timestamp,
                "created_at": created_at,
            }
            rows.append(row)
            logged[event.event_id] = render_row(row)
        if last > retention_count and (first - 1) // every != last // every:
            trims.append({"uid": user_id, "upto": last - retention_count})
    # RETURNING makes it one multi-row INSERT (see idempotency.insert_new_many)
    session.execute(LOG, rows)
    for trim in trims:
        session.execute(TRIM, trim)
    return [logged[e.event_id] for e in events]


CLAIM_MARGIN = timedelta(minutes=10)  # longer than any transaction that logs events

# Built once: building a statement costs more than running it.
_SEQUENCES, _LOG = UserSequence.__table__, ReplayEntry.__table__
LOG = insert(_LOG).returning(_LOG.c.seq)
TRIM = delete(_LOG).where(_LOG.c.user_id == bindparam("uid"), _LOG.c.seq <= bindparam("upto"))


@functools.cache
def _take_statement(dialect: str) -> Insert:
    """Advance the user's counter by `count` and return the last `seq` taken, creating the
    counter if missing, in one statement that holds the row's lock until commit."""
    statement = conflict_insert(_SEQUENCES, dialect).values(
        user_id=bindparam("uid"), last_seq=bindparam("count")
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[_SEQUENCES.c.user_id],
        set_={"last_seq": _SEQUENCES.c.last_seq + statement.excluded.last_seq},
    )
    return upsert.returning(_SEQUENCES.c.last_seq)


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

    def latest(self, user_ids: Iterable[str]) -> list[Message]:
        """Each user's last message, if the log still keeps it: a query per page of users."""
        users = list(user_ids)
        messages: list[Message] = []
        last = (UserSequence.user_id == ReplayEntry.user_id) & (
            UserSequence.last_seq == ReplayEntry.seq
        )
        query = select(ReplayEntry).join(UserSequence, last)
        with self.sessions() as session:
            for start in range(0, len(users), self.page_size):
                page = users[start : start + self.page_size]
                rows = session.scalars(query.where(ReplayEntry.user_id.in_(page)))
                messages += [render(row) for row in rows]
        return messages

    def find(self, event_id: str) -> Message | None:
        with self.sessions() as session:
            row = session.scalar(select(ReplayEntry).where(ReplayEntry.event_id == event_id))
        return render(row) if row is not None else None


def prune(sessions: sessionmaker[Session], max_age_seconds: float) -> int:
    """Forget entries older than `max_age_seconds`, and the dedupe records of events
    older than that and `CLAIM_MARGIN`; return how many entries went. A claim is made in
    the transaction that logs its event, a moment before it: kept a margin longer, it
    never goes while its entry stays, so a redelivery of the event finds it claimed
    rather than running into the entry's unique event id."""
    cutoff = utcnow() - timedelta(seconds=max_age_seconds)
    with sessions.begin() as session:
        removed = session.execute(delete(ReplayEntry).where(ReplayEntry.created_at < cutoff))
        claims = ProcessedEvent.processed_at < cutoff - CLAIM_MARGIN
        session.execute(delete(ProcessedEvent).where(claims))
    count = int(removed.rowcount or 0)
    metrics.PRUNED.inc(count)
    return count
