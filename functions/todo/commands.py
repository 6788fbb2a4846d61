"""The todo service's commands: what a caller asks of one user's tasks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CreateTask:
    user_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class UpdateTask:
    user_id: str
    task_id: str
    fields: dict[str, Any]
    if_match: str | None = None


@dataclass(frozen=True)
class CompleteTask:
    user_id: str
    task_id: str
    if_match: str | None = None


@dataclass(frozen=True)
class DeleteTask:
    user_id: str
    task_id: str
    if_match: str | None = None


@dataclass(frozen=True)
class ReopenTask:
    user_id: str
    task_id: str
    if_match: str | None = None
