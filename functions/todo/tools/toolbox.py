"""One user's task tools: the same service code, outbox and validation as the REST API.

A `Toolbox` acts for one user (the verified caller) in one time zone. Each item of a
batch runs as its own command in its own transaction, so one item's failure leaves the
others done, and each is reported on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from functions.shared.context import AppContext
from functions.shared.events import utcnow
from functions.shared.problems import Problem
from functions.todo.language import describe_rrule
from functions.todo.models import Task
from functions.todo.service import load_task
from functions.todo.tools.schemas import BatchResult, ItemResult, TaskOut

T = TypeVar("T")
MAX_BATCH = 50


@dataclass(frozen=True)
class Clock:
    """What "now" is for the tools; an app may keep another in its context (tests do)."""

    now: Callable[[], datetime] = utcnow


@dataclass
class Toolbox:
    ctx: AppContext
    user_id: str
    timezone: str = "UTC"
    clock: Callable[[], datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # an unknown zone is refused before any tool runs

    def now(self) -> datetime:
        return self.clock()

    def task(self, task_id: str) -> Task:
        """The user's task, or Problem 404 (another user's task does not exist for them)."""
        with self.ctx.readers() as session:
            return load_task(session, self.user_id, task_id)

    def batch(self, items: Iterable[T], apply: Callable[[T], Task | None]) -> BatchResult:
        """Run `apply` on each item, each on its own; report each one."""
        items = list(items)
        if len(items) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} items in one call")
        results = [self._one(index, item, apply) for index, item in enumerate(items)]
        succeeded = sum(r.ok for r in results)
        return BatchResult(results=results, succeeded=succeeded, failed=len(results) - succeeded)

    @staticmethod
    def _one(index: int, item: T, apply: Callable[[T], Task | None]) -> ItemResult:
        try:
            task = apply(item)
        except Problem as problem:
            return ItemResult(index=index, ok=False, error=explain(problem))
        except (ValueError, ValidationError) as exc:
            return ItemResult(index=index, ok=False, error=str(exc))
        return ItemResult(index=index, ok=True, task=task_out(task) if task else None)


def task_out(task: Task) -> TaskOut:
    snapshot = task.snapshot()
    recurrence = snapshot["recurrence"]
    return TaskOut(**snapshot, recurrence_text=describe(recurrence))


def describe(recurrence: str | None) -> str | None:
    if not recurrence:
        return None
    if recurrence in ("daily", "weekly", "monthly"):
        return {"daily": "every day", "weekly": "every week", "monthly": "every month"}[recurrence]
    try:
        return describe_rrule(recurrence)
    except ValueError:
        return None


def explain(problem: Problem) -> str:
    """A problem's message for a person: its detail and, for a 422, the fields at fault."""
    errors: list[dict[str, Any]] = problem.extra.get("errors") or []
    if errors:
        return "; ".join(f"{e['field']} {e['message']}" for e in errors)
    return problem.detail or problem.title
