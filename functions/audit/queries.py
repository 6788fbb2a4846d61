"""Reading a user's audit trail: chronological, filtered, paged by an opaque cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from functions.audit.models import AuditRecord
from functions.audit.service import AUDITED
from functions.shared import web
from functions.shared.problems import ValidationFailed


@dataclass(frozen=True)
class AuditQuery:
    user_id: str
    task_id: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = web.DEFAULT_LIMIT
    cursor: tuple[datetime, int] | None = None

    @classmethod
    def from_args(cls, user_id: str, task_id: str | None, args: Any) -> AuditQuery:
        """Validate `type`, `since`, `until`, `limit`, `cursor`: one 422 names every bad one."""
        values = web.query_values(
            args,
            {
                "type": web.one_of(AUDITED),
                "since": web.moment,
                "until": web.moment,
                "limit": web.limit,
                "cursor": partial(web.moment_cursor, key_type=int),
            },
        )
        if "since" in values and "until" in values and values["since"] > values["until"]:
            raise ValidationFailed([{"field": "until", "message": "must not be before since"}])
        return cls(user_id=user_id, task_id=task_id, **values)


def list_records(session: Session, query: AuditQuery) -> tuple[list[AuditRecord], str | None]:
    """One page in chronological order, and the cursor of the next page (None at the end)."""
    return web.fetch_page(
        session, _statement(query), query.limit, lambda record: (record.occurred_at, record.id)
    )


def _statement(query: AuditQuery) -> Select[tuple[AuditRecord]]:
    statement = select(AuditRecord).where(AuditRecord.user_id == query.user_id)
    if query.task_id is not None:
        statement = statement.where(AuditRecord.task_id == query.task_id)
    if query.type:
        statement = statement.where(AuditRecord.event_type == query.type)
    if query.since:
        statement = statement.where(AuditRecord.occurred_at >= query.since)
    if query.until:
        statement = statement.where(AuditRecord.occurred_at < query.until)
    if query.cursor:
        statement = statement.where(
            web.after_cursor(query.cursor, AuditRecord.occurred_at, AuditRecord.id)
        )
    return statement.order_by(AuditRecord.occurred_at, AuditRecord.id)
