"""How the chat words tasks and lists: dates in the user's zone, recurrence in words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from functions.todo.tools.schemas import TaskOut

EXAMPLES = (
    '"Add task: Buy groceries tomorrow 5pm #home p1", "what\'s due this week", '
    '"show overdue", "complete 2", "move 3 to friday", "remind me about 1 in 1 hour", '
    '"make 2 repeat every monday", "rename 1 to Buy oat milk"'
)
HELP = f"I did not catch that. I understand things like {EXAMPLES}."


def when(task: TaskOut, timezone: str) -> str | None:
    if task.due_date is None:
        return None
    due = datetime.fromisoformat(task.due_date.replace("Z", "+00:00")).astimezone(
        ZoneInfo(task.timezone or timezone)
    )
    day = f"{due:%a} {due.day} {due:%b}"
    return day if task.all_day else f"{day} {due.strftime('%H:%M')}"


def line(task: TaskOut, timezone: str) -> str:
    """`Buy milk, due Thu 3 Dec 17:00, every week, #home, high priority`."""
    parts = [task.title]
    due = when(task, timezone)
    if due:
        parts.append(f"due {due}")
    if task.recurrence_text:
        parts.append(
            task.recurrence_text + (" from completion" if task.repeat_from == "completion" else "")
        )
    parts += [f"#{tag}" for tag in task.tags]
    if task.priority != "medium":
        parts.append(f"{task.priority} priority")
    if task.status == "complete":
        parts.append("done")
    return ", ".join(parts)


def numbered(tasks: list[TaskOut], timezone: str) -> str:
    return "\n".join(f"{n}. {line(task, timezone)}" for n, task in enumerate(tasks, 1))
