"""The deterministic chat: one message, parsed, becomes tool calls and a reply.

Every change goes through the task tools (`functions.todo.tools.catalog`), so it is
validated, authorised and told as events exactly like a REST call. A destructive or
changing request whose task is unclear gets a question and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import BaseModel

from functions.todo.chat import actions
from functions.todo.chat.conversation import State
from functions.todo.chat.replies import HELP, numbered
from functions.todo.chat.targets import resolve
from functions.todo.language import Parsed, Query, parse
from functions.todo.tools import catalog
from functions.todo.tools.toolbox import Toolbox

ON_A_TASK = ("complete", "reopen", "delete", "rename", "reschedule", "remind", "repeat")


@dataclass
class ChatReply:
    reply: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    understood: list[dict[str, Any]] = field(default_factory=list)

    def record(self, tool: str, args: dict[str, Any], result: BaseModel) -> BaseModel:
        self.actions.append({"tool": tool, "args": args, "result": result.model_dump(mode="json")})
        return result


def answer(box: Toolbox, state: State, message: str) -> ChatReply:
    """Answer `message`; `state` is updated with what was listed or asked."""
    parsed = parse(message, box.now(), box.timezone)
    reply = ChatReply("", understood=[span.to_dict() for span in parsed.spans])
    parsed = _with_pending_answer(box, state, parsed)
    state.pending = None
    if parsed.intent == "add":
        task = reply.record("quick_add", {"text": message}, catalog.quick_add(box, message))
        reply.reply = f"Added: {actions.describe(task, box)}."
    elif parsed.intent == "list":
        _list(box, state, parsed.query or Query(), reply)
    elif parsed.intent in ON_A_TASK:
        _on_a_task(box, state, parsed, reply, message)
    else:
        reply.reply = HELP
    return reply


def _on_a_task(box: Toolbox, state: State, parsed: Parsed, reply: ChatReply, message: str) -> None:
    target = resolve(box, state, parsed.target, reopening=parsed.intent == "reopen")
    if target.task is None:
        reply.reply = target.question or HELP
        if target.candidates:
            state.listed = [task.id for task in target.candidates]
            state.pending = {"text": message}
            reply.reply += "\n" + numbered(target.candidates, box.timezone)
        return
    reply.reply = actions.perform(box, parsed, target.task, reply.record)


def _list(box: Toolbox, state: State, query: Query, reply: ChatReply) -> None:
    if query.overdue:
        args: dict[str, Any] = {"start": "overdue"}
        found = catalog.find_tasks_by_date(box, **args)
        tool = "find_tasks_by_date"
    elif query.due_from and query.due_to:
        args = {"start": query.due_from.isoformat(), "days": _days(query.due_from, query.due_to)}
        found, tool = catalog.find_tasks_by_date(box, **args), "find_tasks_by_date"
    else:
        args = {"text": query.text, "status": query.status, "priority": query.priority}
        args["tag"] = query.tags[0] if query.tags else None
        args = {k: v for k, v in args.items() if v is not None}
        found, tool = catalog.find_tasks(box, **args), "find_tasks"
    reply.record(tool, args, found)
    state.listed = [task.id for task in found.tasks]
    if not found.tasks:
        reply.reply = "Nothing there."
        return
    more = " (and more: narrow it down)" if found.next_cursor else ""
    reply.reply = f"Here you go{more}:\n" + numbered(found.tasks, box.timezone)


def _with_pending_answer(box: Toolbox, state: State, parsed: Parsed) -> Parsed:
    """A bare number answers the question asked last ("Which one?"): the request that
    asked it, now about that task of the candidates listed."""
    pending, answered = state.pending, parsed.title.strip()
    if not pending or parsed.intent not in ("add", "unknown") or not answered.isdigit():
        return parsed
    asked = parse(str(pending.get("text") or ""), box.now(), box.timezone)
    return replace(asked, target={"number": int(answered)})


def _days(first: date, end: date) -> int:
    return max(1, min(90, (end - first).days))
