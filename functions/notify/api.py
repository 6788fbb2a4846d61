"""The notify function's HTTP API: the caller's in-app inbox and their channel choice.

- `GET /api/notifications?unread=true&limit=&cursor=`: in-app notifications, newest first
- `GET /api/notifications/unread-count`: `{"unread": n}`, the in-app ones not yet read
- `PATCH /api/notifications/<id>` `{"read": true|false}`
- `GET|PUT /api/notifications/preferences` `{channels, email, webhook_url}`
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, Response, jsonify, request

from functions.notify import inbox
from functions.notify.preferences import parse_preferences
from functions.notify.service import MarkRead, mark_read, preferences_for, set_preferences
from functions.shared.problems import ValidationFailed
from functions.shared.web import caller_id, json_object
from functions.shared.wiring import context

api = Blueprint("notify", __name__)


@api.get("/api/notifications")
def list_() -> Response:
    query = inbox.InboxQuery.from_args(caller_id(), request.args)
    with context().readers() as session:
        items, next_cursor = inbox.list_notifications(session, query)
        return jsonify(items=[n.view() for n in items], next_cursor=next_cursor)


@api.get("/api/notifications/unread-count")
def unread_count() -> Response:
    user_id = caller_id()
    with context().readers() as session:
        return jsonify(unread=inbox.unread_count(session, user_id))


@api.patch("/api/notifications/<uuid:notification_id>")  # never `preferences`
def patch(notification_id: UUID) -> Response:
    user_id, body = caller_id(), json_object()
    if set(body) != {"read"} or not isinstance(body["read"], bool):
        raise ValidationFailed([{"field": "read", "message": 'send exactly {"read": true|false}'}])
    with context().unit_of_work() as uow:
        notification = mark_read(MarkRead(user_id, str(notification_id), body["read"]), uow)
    return jsonify(notification.view())


@api.get("/api/notifications/preferences")
def get_preferences() -> Response:
    with context().readers() as session:
        return jsonify(preferences_for(session, caller_id()).view())


@api.put("/api/notifications/preferences")
def put_preferences() -> Response:
    allow_private = context().settings.webhook_allow_private
    command = parse_preferences(caller_id(), json_object(), allow_private=allow_private)
    with context().unit_of_work() as uow:
        prefs = set_preferences(command, uow)
    return jsonify(prefs.view())
