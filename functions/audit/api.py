"""The audit trail's query API: a user's events, or one task's, oldest first.

`GET /api/audit/<user_id>[/task/<task_id>]?type=&since=&until=&limit=&cursor=`
answers `{items, next_cursor}`; `since` is inclusive, `until` exclusive.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from functions.audit.queries import AuditQuery, list_records
from functions.shared.problems import Problem
from functions.shared.web import caller_id, caller_is_admin
from functions.shared.wiring import context

api = Blueprint("audit", __name__)


def authorize(user_id: str) -> None:
    """Only the user themself, or an administrator, reads a user's trail."""
    if caller_id() != user_id and not caller_is_admin():
        raise Problem(403, "Forbidden", "You may read only your own audit trail.")


@api.get("/api/audit/<user_id>")
def user_trail(user_id: str) -> Response:
    return _page(user_id, None)


@api.get("/api/audit/<user_id>/task/<task_id>")
def task_trail(user_id: str, task_id: str) -> Response:
    return _page(user_id, task_id)


def _page(user_id: str, task_id: str | None) -> Response:
    authorize(user_id)
    query = AuditQuery.from_args(user_id, task_id, request.args)
    with context().readers() as session:
        records, next_cursor = list_records(session, query)
        return jsonify(items=[r.view() for r in records], next_cursor=next_cursor)
