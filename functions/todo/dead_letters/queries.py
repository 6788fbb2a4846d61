"""The administrators' list of dead letters: filters and keyset pages, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from functions.shared import web
from functions.todo.dead_letters.keeping import DLQ_TOPICS, STATES
from functions.todo.models import DeadLetter


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
