"""What a chat remembers between messages, in the todo service's own table: the tasks it
last listed (so "complete 2" works) and a question it is waiting on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from functions.shared.context import AppContext
from functions.shared.events import utcnow
from functions.shared.problems import Problem
from functions.todo.models import Conversation

MAX_LISTED = 200


@dataclass
class State:
    id: str
    listed: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None


def load(ctx: AppContext, user_id: str, conversation_id: str | None) -> State:
    """The user's conversation `conversation_id`, else their latest, else a new one; another
    user's conversation does not exist for them (404)."""
    with ctx.readers() as session:
        if conversation_id:
            row = session.get(Conversation, conversation_id)
            if row is None or row.user_id != user_id:
                raise Problem(404, "Not Found", f"Conversation {conversation_id} does not exist.")
        else:
            row = session.scalars(
                select(Conversation)
                .where(Conversation.user_id == user_id)
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            ).first()
    if row is None:
        return State(str(uuid.uuid4()))
    return State(row.id, list(row.listed or []), row.pending)


def save(ctx: AppContext, user_id: str, state: State) -> None:
    with ctx.sessions.begin() as session:
        row = session.get(Conversation, state.id) or Conversation(id=state.id, user_id=user_id)
        row.listed, row.pending = state.listed[:MAX_LISTED], state.pending
        row.updated_at = utcnow()
        session.add(row)
