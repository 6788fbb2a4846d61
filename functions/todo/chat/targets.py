"""Which task a message means: a number in the last list shown, or words of its title.

Nothing is guessed: a title that fits several tasks (or none) is answered with a
question, and the candidates become the list that "complete 2" refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions.shared.problems import Problem
from functions.todo.chat.conversation import State
from functions.todo.queries import OPEN
from functions.todo.tools.reads import page
from functions.todo.tools.schemas import TaskOut
from functions.todo.tools.toolbox import Toolbox, task_out

CANDIDATES = 10


@dataclass
class Target:
    """The one task meant, or why there is none: a question with its candidates."""

    task: TaskOut | None = None
    question: str | None = None
    candidates: list[TaskOut] = field(default_factory=list)


def resolve(box: Toolbox, state: State, target: dict[str, Any] | None, reopening: bool) -> Target:
    if not target:
        return Target(question="Which task? Say its number in the last list, or its title.")
    if "number" in target:
        return _by_number(box, state, int(target["number"]))
    return _by_title(box, str(target.get("title") or "").strip(), reopening)


def _by_number(box: Toolbox, state: State, number: int) -> Target:
    if not 1 <= number <= len(state.listed):
        shown = len(state.listed)
        hint = f"the last list had {shown}" if shown else "ask me to list your tasks first"
        return Target(question=f"I have no task number {number}: {hint}.")
    try:
        return Target(task=task_out(box.task(state.listed[number - 1])))
    except Problem:
        return Target(question=f"Task {number} of the last list no longer exists.")


def _by_title(box: Toolbox, title: str, reopening: bool) -> Target:
    if not title:
        return Target(question="Which task? Say its number in the last list, or its title.")
    status = "complete" if reopening else OPEN
    found = page(box, {"q": title, "status": status, "limit": str(CANDIDATES + 1)}).tasks
    exact = [t for t in found if t.title.casefold() == title.casefold()]
    if len(exact) == 1:
        return Target(task=exact[0])
    if len(found) == 1:
        return Target(task=found[0])
    if not found:
        kind = "completed task" if reopening else "open task"
        return Target(question=f'I found no {kind} called "{title}".')
    shown = (exact or found)[:CANDIDATES]
    return Target(
        question=f'Several tasks match "{title}". Which one? Answer with its number.',
        candidates=shown,
    )
