"""The task tools' typed inputs and outputs (pydantic, so MCP clients get their JSON Schema).

Dates come either as `due_string`, everyday English read by the language parser in the
user's time zone ("tomorrow 5pm", "every monday at 9am"), or as `due_date`, RFC 3339.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["low", "medium", "high"]
Status = Literal["pending", "in_progress", "complete"]
TaskId = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewTask(_Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    due_string: str | None = Field(
        default=None, max_length=200, description="e.g. 'tomorrow 5pm', 'every monday at 9am'"
    )
    due_date: str | None = Field(default=None, description="RFC 3339 with an offset")
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=20)
    recurrence: str | None = Field(default=None, description="daily, weekly, monthly or RRULE")
    parent_task_id: TaskId | None = None


class TaskChange(_Strict):
    id: TaskId
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    status: Status | None = None
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=20)
    due_string: str | None = Field(default=None, max_length=200)
    due_date: str | None = None
    recurrence: str | None = None
    repeat_from: Literal["due", "completion"] | None = None


class Reschedule(_Strict):
    id: TaskId
    due_string: str | None = Field(default=None, max_length=200)
    due_date: str | None = None
    all_day: bool = Field(default=False, description="due on the day of due_date, at no time")


class TaskOut(BaseModel):
    """A task as the REST API shows it."""

    id: str
    title: str
    description: str
    status: str
    priority: str
    tags: list[str]
    due_date: str | None
    all_day: bool
    reminder_time: str | None
    timezone: str | None
    recurrence: str | None
    recurrence_text: str | None = Field(default=None, description="the recurrence in words")
    repeat_from: str
    parent_task_id: str | None
    occurrence: int | None
    version: int
    created_at: str
    updated_at: str
    completed_at: str | None


class ItemResult(BaseModel):
    """One item of a batch: it succeeded with `task`, or failed with `error`."""

    index: int
    ok: bool
    task: TaskOut | None = None
    error: str | None = None


class BatchResult(BaseModel):
    results: list[ItemResult]
    succeeded: int
    failed: int


class TaskPage(BaseModel):
    tasks: list[TaskOut]
    next_cursor: str | None = None


class Overview(BaseModel):
    timezone: str
    open: int
    overdue: int
    due_today: int
    due_next_7_days: int
    completed_today: int
    by_priority: dict[str, int]
    top_tags: list[tuple[str, int]]


class Preview(BaseModel):
    """What `quick_add` would create from a line, and which parts of it were understood."""

    intent: str
    would_create: dict[str, Any] | None
    recurrence_text: str | None
    understood: list[dict[str, Any]]
    parsed: dict[str, Any]
