"""`POST /api/chat`, the quick-add preview `POST /api/parse`, and `GET|PUT /api/settings`.

POST /api/chat {message, timezone?, conversation_id?}
  -> {reply, actions: [{tool, args, result}], understood: [spans], conversation_id}
POST /api/parse {text, timezone?, ignore?: [[start, end], ...]} -> what quick_add would do
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from functions.shared.problems import ValidationFailed
from functions.shared.security.ratelimit import reads_only
from functions.shared.web import caller_id, json_object
from functions.shared.wiring import context
from functions.todo.chat import conversation
from functions.todo.chat.assistant import Assistant
from functions.todo.chat.engine import answer
from functions.todo.tools.preferences import remember_timezone, toolbox_for
from functions.todo.tools.reads import parse_preview

chat_routes = Blueprint("chat", __name__)
MAX_MESSAGE = 2000


@chat_routes.post("/api/chat")
def chat() -> Response:
    user_id, body = caller_id(), json_object()
    message = _text(body, "message", MAX_MESSAGE)
    timezone, conversation_id = _optional(body, "timezone"), _optional(body, "conversation_id")
    _only(body, {"message", "timezone", "conversation_id"})
    ctx = context()
    if timezone:
        remember_timezone(ctx, user_id, timezone)
    box = toolbox_for(ctx, user_id, timezone)
    state = conversation.load(ctx, user_id, conversation_id)
    assistant = ctx.find(Assistant)
    reply = (assistant and assistant.answer(box, state, message)) or answer(box, state, message)
    conversation.save(ctx, user_id, state)
    return jsonify(
        reply=reply.reply,
        actions=reply.actions,
        understood=reply.understood,
        conversation_id=state.id,
    )


@chat_routes.post("/api/parse")
@reads_only
def preview() -> Response:
    user_id, body = caller_id(), json_object()
    text = _text(body, "text", 500)
    ignore = body.get("ignore") or []
    _only(body, {"text", "timezone", "ignore"})
    if not isinstance(ignore, list) or not all(_is_range(item) for item in ignore):
        raise ValidationFailed([{"field": "ignore", "message": "must be [[start, end], ...]"}])
    box = toolbox_for(context(), user_id, _optional(body, "timezone"))
    ranges = [(int(start), int(end)) for start, end in ignore]
    return jsonify(parse_preview(box, text, ranges).model_dump(mode="json"))


@chat_routes.get("/api/settings")
def get_settings() -> Response:
    box = toolbox_for(context(), caller_id())
    return jsonify(timezone=box.timezone)


@chat_routes.put("/api/settings")
def put_settings() -> Response:
    user_id, body = caller_id(), json_object()
    _only(body, {"timezone"})
    remember_timezone(context(), user_id, _text(body, "timezone", 64))
    return jsonify(timezone=toolbox_for(context(), user_id).timezone)


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationFailed(
            [{"field": name, "message": f"must be text of 1-{limit} characters"}]
        )
    return value


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    return _text(body, name, 64)


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    errors = [{"field": name, "message": "is not expected"} for name in sorted(set(body) - allowed)]
    if errors:
        raise ValidationFailed(errors)


def _is_range(item: Any) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 500 for n in item)
        and item[0] < item[1]
    )
