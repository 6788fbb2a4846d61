"""Listing a user's tasks: filters, an order, and keyset paging with an opaque cursor.

Orders (`sort`): `created` (oldest first, the default), `due` (soonest due first; tasks
with a due date only) and `completed` (most recently completed first; complete tasks
only). The cursor holds the last item's position in that order. `status=open` means
every status but complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from functions.shared.web import (
    DEFAULT_LIMIT,
    after_cursor,
    fetch_page,
    limit,
    moment,
    moment_cursor,
    one_of,
    query_values,
)
from functions.todo.models import PRIORITIES, STATUSES, Task, TaskTag

OPEN = "open"


@dataclass(frozen=True)
class TaskQuery:
    user_id: str
    status: str | None = None
    priority: str | None = None
    tag: str | None = None
    q: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    due_from: datetime | None = None
    sort: str = "created"
    limit: int = DEFAULT_LIMIT
    after: tuple[datetime, str] | None = None

    @classmethod
    def from_args(cls, user_id: str, args: Mapping[str, str]) -> TaskQuery:
        """Validate query-string filters; every bad one is reported in one 422."""
        values = query_values(
            args,
            {
                "status": one_of((*STATUSES, OPEN)),
                "priority": one_of(PRIORITIES),
                "tag": str,
                "q": str,
                "due_before": moment,
                "due_after": moment,
                "due_from": moment,
                "sort": one_of(tuple(ORDERS)),
                "limit": limit,
                "cursor": lambda v: moment_cursor(v, str),
            },
        )
        values["after"] = values.pop("cursor", None)
        return cls(user_id=user_id, **values)


ORDERS: dict[str, tuple[InstrumentedAttribute[Any], bool]] = {
    "created": (Task.created_at, False),
    "due": (Task.due_date, False),
    "completed": (Task.completed_at, True),
}


def list_tasks(session: Session, query: TaskQuery) -> tuple[list[Task], str | None]:
    column, _ = ORDERS[query.sort]
    return fetch_page(
        session,
        _statement(query),
        query.limit,
        lambda task: (getattr(task, column.key), task.id),
    )


def _statement(query: TaskQuery) -> Select[tuple[Task]]:
    statement = select(Task).where(Task.user_id == query.user_id, Task.deleted_at.is_(None))
    if query.status == OPEN:
        statement = statement.where(Task.status != "complete")
    elif query.status:
        statement = statement.where(Task.status == query.status)
    if query.priority:
        statement = statement.where(Task.priority == query.priority)
    if query.tag:
        statement = statement.where(
            exists().where(TaskTag.task_id == Task.id, TaskTag.tag == query.tag)
        )
    if query.q:
        statement = statement.where(
            or_(
                Task.title.icontains(query.q, autoescape=True),
                Task.description.icontains(query.q, autoescape=True),
            )
        )
    if query.due_before:
        statement = statement.where(Task.due_date < query.due_before)
    if query.due_after:
        statement = statement.where(Task.due_date > query.due_after)
    if query.due_from:
        statement = statement.where(Task.due_date >= query.due_from)
    column, descending = ORDERS[query.sort]
    statement = statement.where(column.is_not(None))
    if query.after:
        statement = statement.where(
            after_cursor(query.after, column, Task.id, descending=descending)
        )
    if descending:
        return statement.order_by(column.desc(), Task.id.desc())
    return statement.order_by(column, Task.id)
