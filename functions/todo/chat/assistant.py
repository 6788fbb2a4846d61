"""The chat's optional LLM path: an OpenAI-compatible model plans calls of the same tools.

Configured by TODOMESH_LLM_BASE_URL and TODOMESH_LLM_MODEL, with the key from the
secret store (or TODOMESH_LLM_API_KEY). It acts only through the caller's toolbox,
makes at most `max_tool_calls` calls and gives up after `timeout` seconds; whenever it
fails, the deterministic parser answers instead.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from functions.todo.chat.conversation import State
from functions.todo.chat.engine import ChatReply
from functions.todo.tools.catalog import BY_NAME, TOOLS
from functions.todo.tools.signatures import arguments_model
from functions.todo.tools.toolbox import Toolbox

log = logging.getLogger(__name__)
# post(url, body, headers, timeout) -> the decoded JSON answer
Post = Callable[[str, dict[str, Any], dict[str, str], float], dict[str, Any]]
SYSTEM = (
    "You manage the user's tasks with the tools given. Use them; never invent task ids: find "
    "tasks first. Ask when a request is ambiguous rather than guessing, and never delete, "
    "complete or rename a task the user did not clearly name. Reply briefly."
)


class Assistant:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: Callable[[], str],
        post: Post,
        *,
        max_tool_calls: int = 6,
        timeout: float = 20.0,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.post = model, api_key, post
        self.max_tool_calls, self.timeout = max_tool_calls, timeout
        self.tools = [_openai_tool(spec.name) for spec in TOOLS]

    def answer(self, box: Toolbox, _state: State, message: str) -> ChatReply | None:
        """The model's reply and the tool calls it made; None when it failed."""
        try:
            return self._converse(box, message)
        except Exception as exc:  # any failure falls back to the deterministic parser
            log.warning("assistant failed; the parser answers", extra={"error": type(exc).__name__})
            return None

    def _converse(self, box: Toolbox, message: str) -> ChatReply:
        reply = ChatReply("")
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": f"{SYSTEM} The user's time zone is {box.timezone}."},
            {"role": "user", "content": message},
        ]
        deadline, calls = time.monotonic() + self.timeout, 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the assistant ran out of time")
            said = self._complete(messages, left, tools=calls < self.max_tool_calls)
            wanted = said.get("tool_calls") or []
            if not wanted:
                reply.reply = str(said.get("content") or "").strip() or "Done."
                return reply
            messages.append(
                {"role": "assistant", "content": said.get("content"), "tool_calls": wanted}
            )
            for call in wanted:
                calls += 1
                messages.append(self._run(box, call, reply, calls > self.max_tool_calls))

    def _complete(self, messages: list[dict[str, Any]], left: float, tools: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            body.update(tools=self.tools, tool_choice="auto")
        headers = {"Authorization": f"Bearer {self.api_key()}"}
        answer = self.post(self.url, body, headers, min(left, self.timeout))
        return dict(answer["choices"][0]["message"])

    def _run(
        self, box: Toolbox, call: dict[str, Any], reply: ChatReply, over: bool
    ) -> dict[str, Any]:
        name = call["function"]["name"]
        if over or name not in BY_NAME:
            content = {"error": "no more tool calls" if over else f"unknown tool {name}"}
        else:
            try:
                args = json.loads(call["function"].get("arguments") or "{}")
                validated = arguments_model(name).model_validate(args)
                result = BY_NAME[name].fn(box, **dict(validated))
                content = reply.record(name, args, result).model_dump(mode="json")
            except Exception as exc:  # told to the model, which may correct its call
                content = {"error": str(exc)[:500]}
        return {"role": "tool", "tool_call_id": call.get("id"), "content": json.dumps(content)}


def _openai_tool(name: str) -> dict[str, Any]:
    spec = BY_NAME[name]
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": (spec.fn.__doc__ or "").strip(),
            "parameters": arguments_model(name).model_json_schema(),
        },
    }
