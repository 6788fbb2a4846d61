"""The tools that only read: find tasks, find them by date, an overview, a parse preview."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from functions.shared.events import isoformat
from functions.todo.language import parse
from functions.todo.models import Task, TaskTag
from functions.todo.queries import OPEN, TaskQuery, list_tasks
from functions.todo.tools.fields import parsed_fields
from functions.todo.tools.schemas import Overview, Preview, TaskPage
from functions.todo.tools.toolbox import Toolbox, describe, task_out

MAX_DAYS = 90


def find_tasks(box: Toolbox, **filters: Any) -> TaskPage:
    """Tasks matching `filters` (text, status, priority, tag, limit, cursor), oldest first."""
    args = {("q" if k == "text" else k): str(v) for k, v in filters.items() if v is not None}
    return page(box, args)


def find_tasks_by_date(
    box: Toolbox, start: str = "today", days: int = 1, limit: int = 50, cursor: str | None = None
) -> TaskPage:
    """Open tasks due in `days` days from `start` (`today`, `tomorrow` or YYYY-MM-DD) in the
    user's zone, soonest first; `start="overdue"` gives those past due."""
    if start == "overdue":
        args = {"status": OPEN, "due_before": isoformat(box.now()), "sort": "due"}
    else:
        first = _day(box, start)
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be from 1 to {MAX_DAYS}")
        window = (_midnight(box, first), _midnight(box, first + timedelta(days=days)))
        args = {"due_from": isoformat(window[0]), "due_before": isoformat(window[1])}
        args.update(status=OPEN, sort="due")
    args["limit"] = str(limit)
    if cursor:
        args["cursor"] = cursor
    return page(box, args)


def page(box: Toolbox, args: dict[str, str]) -> TaskPage:
    query = TaskQuery.from_args(box.user_id, args)
    with box.ctx.readers() as session:
        tasks, next_cursor = list_tasks(session, query)
        return TaskPage(tasks=[task_out(t) for t in tasks], next_cursor=next_cursor)


def get_overview(box: Toolbox) -> Overview:
    now = box.now()
    today = _midnight(box, _today(box))
    week = today + timedelta(days=7)
    with box.ctx.readers() as session:
        mine = (Task.user_id == box.user_id, Task.deleted_at.is_(None))
        rows = session.execute(
            select(Task.status, Task.priority, Task.due_date, Task.completed_at).where(*mine)
        ).all()
        tags = session.execute(
            select(TaskTag.tag, func.count())
            .join(Task, Task.id == TaskTag.task_id)
            .where(*mine, Task.status != "complete")
            .group_by(TaskTag.tag)
            .order_by(func.count().desc(), TaskTag.tag)
            .limit(10)
        ).all()
    live = [r for r in rows if r.status != "complete"]
    due = [r.due_date for r in live if r.due_date is not None]
    return Overview(
        timezone=box.timezone,
        open=len(live),
        overdue=sum(d < now for d in due),
        due_today=sum(today <= d < today + timedelta(days=1) for d in due),
        due_next_7_days=sum(today <= d < week for d in due),
        completed_today=sum(1 for r in rows if r.completed_at and r.completed_at >= today),
        by_priority=dict(Counter(r.priority for r in live)),
        top_tags=[(tag, count) for tag, count in tags],
    )


def parse_preview(box: Toolbox, text: str, ignore: list[tuple[int, int]] | None = None) -> Preview:
    """What `quick_add(text)` would create, without creating it."""
    parsed = parse(text, box.now(), box.timezone, ignore or ())
    would = parsed_fields(parsed, box.timezone) if parsed.intent == "add" else None
    return Preview(
        intent=parsed.intent,
        would_create=would,
        recurrence_text=describe(parsed.recurrence),
        understood=[span.to_dict() for span in parsed.spans],
        parsed=parsed.to_dict(),
    )


def _today(box: Toolbox) -> date:
    return box.now().astimezone(ZoneInfo(box.timezone)).date()


def _day(box: Toolbox, text: Literal["today", "tomorrow"] | str) -> date:
    if text == "today":
        return _today(box)
    if text == "tomorrow":
        return _today(box) + timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("start must be today, tomorrow, overdue or YYYY-MM-DD") from exc


def _midnight(box: Toolbox, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(box.timezone))
