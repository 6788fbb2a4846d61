"""Listing a user's tasks: filters and keyset paging with an opaque cursor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class TaskQuery:
    user_id: str
    status: str | None = None
    priority: str | None = None
    tag: str | None = None
    q: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    limit: int = DEFAULT_LIMIT
    after: tuple[datetime, str] | None = None

    @classmethod
    def from_args(cls, user_id: str, args: Mapping[str, str]) -> TaskQuery:
        """Validate query-string filters; every bad one is reported in one 422."""
        values = query_values(
            args,
            {
                "status": one_of(STATUSES),
                "priority": one_of(PRIORITIES),
                "tag": str,
                "q": str,
                "due_before": moment,
                "due_after": moment,
                "limit": limit,
                "cursor": lambda v: moment_cursor(v, str),
            },
        )
        values["after"] = values.pop("cursor", None)
        return cls(user_id=user_id, **values)


def list_tasks(session: Session, query: TaskQuery) -> tuple[list[Task], str | None]:
    return fetch_page(
        session, _statement(query), query.limit, lambda task: (task.created_at, task.id)
    )


def _statement(query: TaskQuery) -> Select[tuple[Task]]:
    statement = select(Task).where(Task.user_id == query.user_id, Task.deleted_at.is_(None))
    if query.status:
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
    if query.after:
        statement = statement.where(after_cursor(query.after, Task.created_at, Task.id))
    return statement.order_by(Task.created_at, Task.id)
