"""The task tools by name: what each takes and returns, and its MCP hints.

Every tool is a plain function whose first parameter is the `Toolbox` of the user it
acts for; the MCP server and the chat's LLM path both call these, and both take the
input schema from the signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from mcp.types import ToolAnnotations
from pydantic import Field

from functions.todo.tools import reads, writes
from functions.todo.tools.schemas import (
    BatchResult,
    NewTask,
    Overview,
    Preview,
    Priority,
    Reschedule,
    Status,
    TaskChange,
    TaskOut,
    TaskPage,
)
from functions.todo.tools.toolbox import Toolbox, task_out

Ids = Annotated[list[str], Field(min_length=1, max_length=50)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


def add_tasks(box: Toolbox, tasks: Annotated[list[NewTask], Field(min_length=1)]) -> BatchResult:
    """Add one or more tasks; `due_string` may say when in everyday English."""
    return writes.add_tasks(box, tasks)


def find_tasks(
    box: Toolbox,
    text: str | None = None,
    status: Status | None = None,
    priority: Priority | None = None,
    tag: str | None = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> TaskPage:
    """Find tasks by words in the title or description, status, priority or tag."""
    filters = {"text": text, "status": status, "priority": priority, "tag": tag}
    return reads.find_tasks(box, **filters, limit=limit, cursor=cursor)


def find_tasks_by_date(
    box: Toolbox,
    start: str = "today",
    days: Annotated[int, Field(ge=1, le=90)] = 1,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> TaskPage:
    """Open tasks due from `start` (today, tomorrow or YYYY-MM-DD) for `days` days, or the
    overdue ones with start="overdue"."""
    return reads.find_tasks_by_date(box, start, days, limit, cursor)


def update_tasks(
    box: Toolbox, tasks: Annotated[list[TaskChange], Field(min_length=1)]
) -> BatchResult:
    """Change fields of one or more tasks (only the fields given)."""
    return writes.update_tasks(box, tasks)


def complete_tasks(box: Toolbox, ids: Ids) -> BatchResult:
    """Mark tasks complete (a recurring task's next occurrence follows)."""
    return writes.complete_tasks(box, ids)


def reopen_tasks(box: Toolbox, ids: Ids) -> BatchResult:
    """Mark completed tasks as not done again."""
    return writes.reopen_tasks(box, ids)


def reschedule_tasks(
    box: Toolbox, tasks: Annotated[list[Reschedule], Field(min_length=1)]
) -> BatchResult:
    """Move tasks to a new due date; a recurring task keeps its recurrence."""
    return writes.reschedule_tasks(box, tasks)


def delete_tasks(box: Toolbox, ids: Ids) -> BatchResult:
    """Delete tasks (a deleted recurring task ends its series)."""
    return writes.delete_tasks(box, ids)


def set_reminder(
    box: Toolbox,
    id: str,
    at: str | None = None,
    before_due_minutes: Annotated[int | None, Field(ge=0, le=40_320)] = None,
) -> TaskOut:
    """Remind about a task at `at` (RFC 3339), or `before_due_minutes` before it is due."""
    task = writes.set_reminder(box, id, at, before_due_minutes)
    assert task is not None
    return task_out(task)


def get_overview(box: Toolbox) -> Overview:
    """Counts of open, overdue, due today and this week, by priority and tag."""
    return reads.get_overview(box)


def quick_add(box: Toolbox, text: Text) -> TaskOut:
    """Add a task from one line such as 'Buy groceries tomorrow 5pm #home p1'."""
    preview = reads.parse_preview(box, text)
    if preview.would_create is None:
        raise ValueError(f"'{text}' does not read as a task to add (it reads as {preview.intent})")
    task = writes.create(box, preview.would_create)
    assert task is not None
    return task_out(task)


def parse_preview(box: Toolbox, text: Text) -> Preview:
    """What quick_add would create from a line, without creating anything."""
    return reads.parse_preview(box, text)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    fn: Any
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    @property
    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            readOnlyHint=self.read_only,
            destructiveHint=self.destructive,
            idempotentHint=self.idempotent,
            openWorldHint=False,
        )


TOOLS = (
    ToolSpec("add_tasks", add_tasks),
    ToolSpec("find_tasks", find_tasks, read_only=True, idempotent=True),
    ToolSpec("find_tasks_by_date", find_tasks_by_date, read_only=True, idempotent=True),
    ToolSpec("update_tasks", update_tasks, idempotent=True),
    ToolSpec("complete_tasks", complete_tasks, idempotent=True),
    ToolSpec("reopen_tasks", reopen_tasks, idempotent=True),
    ToolSpec("reschedule_tasks", reschedule_tasks, idempotent=True),
    ToolSpec("delete_tasks", delete_tasks, destructive=True, idempotent=True),
    ToolSpec("set_reminder", set_reminder, idempotent=True),
    ToolSpec("get_overview", get_overview, read_only=True, idempotent=True),
    ToolSpec("quick_add", quick_add),
    ToolSpec("parse_preview", parse_preview, read_only=True, idempotent=True),
)
BY_NAME = {spec.name: spec for spec in TOOLS}
