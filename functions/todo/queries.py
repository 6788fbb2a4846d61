"""Listing a user's tasks: filters and keyset paging with an opaque cursor."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from functions.shared.events import isoformat
from functions.shared.problems import ValidationFailed
from functions.todo.models import PRIORITIES, STATUSES, Task, TaskTag
from functions.todo.validation import moment

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


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
    def from_args(cls, user_id: str, args: Any) -> TaskQuery:
        """Validate query-string filters; every bad one is reported in one 422."""
        errors: list[dict[str, str]] = []
        values: dict[str, Any] = {}

        def check(name: str, parse: Any) -> None:
            if args.get(name) in (None, ""):
                return
            try:
                values[name] = parse(args[name])
            except ValueError as exc:
                errors.append({"field": name, "message": str(exc)})

        check("status", lambda v: _one_of(v, STATUSES))
        check("priority", lambda v: _one_of(v, PRIORITIES))
        check("tag", str)
        check("q", str)
        check("due_before", moment)
        check("due_after", moment)
        check("limit", _limit)
        check("cursor", _decode_cursor)
        if errors:
            raise ValidationFailed(errors)
        values["after"] = values.pop("cursor", None)
        return cls(user_id=user_id, **values)


def list_tasks(session: Session, query: TaskQuery) -> tuple[list[Task], str | None]:
    rows = session.scalars(_statement(query).limit(query.limit + 1)).all()
    tasks = list(rows[: query.limit])
    next_cursor = _encode_cursor(tasks[-1]) if len(rows) > query.limit else None
    return tasks, next_cursor


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
        created, task_id = query.after
        statement = statement.where(
            or_(Task.created_at > created, (Task.created_at == created) & (Task.id > task_id))
        )
    return statement.order_by(Task.created_at, Task.id)


def _one_of(value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ValueError(f"must be one of {', '.join(options)}")
    return value


def _limit(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _encode_cursor(task: Task) -> str:
    raw = json.dumps([isoformat(task.created_at), task.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: str) -> tuple[datetime, str]:
    try:
        created, task_id = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        parsed = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except (ValueError, TypeError) as exc:
        raise ValueError("is not a cursor this API returned") from exc
    return parsed, str(task_id)
