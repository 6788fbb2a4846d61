"""Listing a user's in-app notifications, newest first, paged by an opaque cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from functions.notify.models import IN_APP, Notification
from functions.shared import web


@dataclass(frozen=True)
class InboxQuery:
    user_id: str
    unread: bool = False
    limit: int = web.DEFAULT_LIMIT
    cursor: tuple[datetime, str] | None = None

    @classmethod
    def from_args(cls, user_id: str, args: Any) -> InboxQuery:
        values = web.query_values(
            args,
            {
                "unread": _boolean,
                "limit": web.limit,
                "cursor": partial(web.moment_cursor, key_type=str),
            },
        )
        return cls(user_id=user_id, **values)


def list_notifications(
    session: Session, query: InboxQuery
) -> tuple[list[Notification], str | None]:
    return web.fetch_page(
        session, _statement(query), query.limit, lambda item: (item.created_at, item.id)
    )


def unread_count(session: Session, user_id: str) -> int:
    """How many of the user's in-app notifications are unread."""
    statement = select(func.count()).where(
        Notification.user_id == user_id,
        Notification.channel == IN_APP,
        Notification.read_at.is_(None),
    )
    return int(session.scalar(statement) or 0)


def _statement(query: InboxQuery) -> Select[tuple[Notification]]:
    statement = select(Notification).where(
        Notification.user_id == query.user_id, Notification.channel == IN_APP
    )
    if query.unread:
        statement = statement.where(Notification.read_at.is_(None))
    if query.cursor:
        statement = statement.where(
            web.after_cursor(
                query.cursor, Notification.created_at, Notification.id, descending=True
            )
        )
    return statement.order_by(Notification.created_at.desc(), Notification.id.desc())


def _boolean(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError("must be true or false")
    return value.lower() == "true"
