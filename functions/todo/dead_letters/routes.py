"""The dead-letter routes: daprd delivers each `<topic>-dlq` here; administrators list and
replay what was kept (see `functions.todo.dead_letters`)."""

from __future__ import annotations

import logging
from typing import Any

from cloudevents.http import from_http
from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import Counter
from sqlalchemy import func, select

from functions.shared import web
from functions.shared.consumer import require_dapr
from functions.shared.db import is_unavailable
from functions.shared.problems import Problem, ValidationFailed
from functions.shared.replies import DropEvent, RetryEvent
from functions.shared.wiring import context
from functions.todo.dead_letters.keeping import (
    DEAD,
    DLQ_TOPICS,
    KEPT,
    REPLAYED,
    SUPERSEDED,
    SUPERSEDED_DETAIL,
    newer_version,
    record,
    replay,
    unreplayable,
)
from functions.todo.dead_letters.queries import DeadLetterQuery, list_dead_letters
from functions.todo.models import DeadLetter

log = logging.getLogger(__name__)
REPLAY_BATCH = 500
MAX_ID = 2**63 - 1  # a BIGINT (SQLite's INTEGER): a larger id matches no route, so 404
MAX_RAW_CHARS = 64 * 1024
# What daprd adds to an envelope on delivery; a replay publishes the event as it was.
DAPR_DELIVERY_FIELDS = frozenset({"pubsubname", "topic", "traceid"})

RECEIVED = Counter(
    "todomesh_dead_letters_total", "Dead letters received from a dead-letter topic", ["topic"]
)
REPLAYED_TOTAL = Counter(
    "todomesh_dead_letters_replayed_total", "Dead letters replayed to their topic", ["topic"]
)

dead_letter_routes = Blueprint("dead_letters", __name__)


@dead_letter_routes.post("/events/dead-letters/<topic>")
def receive(topic: str) -> Response:
    """daprd delivers a dead letter of `topic`; keep it (once per event id)."""
    require_dapr()
    if topic not in DLQ_TOPICS:
        raise Problem(404, "Not Found", f"{topic} is not a dead-letter topic.")
    envelope = _envelope()
    g.delivered_by_dapr = True
    try:
        with context().unit_of_work() as uow:
            letter, arrived = record(uow.session, topic, envelope)
    except Exception as exc:
        if is_unavailable(exc):
            log.warning("database unavailable; asking for redelivery", extra={"error": str(exc)})
            raise RetryEvent(str(exc)) from exc
        log.exception("dead letter cannot be stored; parked")
        raise DropEvent(f"cannot be stored: {exc.__class__.__name__}") from exc
    if arrived:
        RECEIVED.labels(topic).inc()
        log.warning(
            "dead letter received",
            extra={"topic": topic, "event_id": letter.event_id, "times_dead": letter.times_dead},
        )
    return jsonify(status="SUCCESS")


@dead_letter_routes.get("/api/admin/dead-letters")
def list_() -> Response:
    web.require_admin()
    query = DeadLetterQuery.from_args(request.args)
    with context().readers() as session:
        letters, next_cursor = list_dead_letters(session, query)
        return jsonify(items=[letter.view() for letter in letters], next_cursor=next_cursor)


@dead_letter_routes.post(f"/api/admin/dead-letters/<int(max={MAX_ID}):letter_id>/replay")
def replay_one(letter_id: int) -> tuple[Response, int]:
    web.require_admin()
    with context().unit_of_work() as uow:
        letter = uow.session.get(DeadLetter, letter_id, with_for_update=True)
        if letter is None:
            raise Problem(404, "Not Found", f"No dead letter {letter_id}.")
        if letter.state == KEPT:
            reason = unreplayable(letter.envelope, letter.event_id, letter.partition_key)
            raise Problem(409, "Cannot be replayed", reason)
        if letter.state == REPLAYED:
            raise Problem(409, "Already replayed", "It was replayed and has not come back since.")
        if letter.state == SUPERSEDED:
            raise Problem(409, "Superseded", f"{SUPERSEDED_DETAIL}.")
        newer = newer_version(uow.session, letter)
        if newer is None:
            replay(letter, uow)
        else:
            letter.state = SUPERSEDED  # kept: the 409 below comes after the commit
        view = letter.view()
    if newer is not None:
        raise Problem(409, "Superseded", f"{SUPERSEDED_DETAIL} (version {newer} now).")
    REPLAYED_TOTAL.labels(letter.topic).inc()
    return jsonify(view), 202


@dead_letter_routes.post("/api/admin/dead-letters/replay")
def replay_many() -> tuple[Response, int]:
    web.require_admin()
    body = web.json_object()
    errors = [{"field": name, "message": "is not a replay field"} for name in body]
    errors = [error for error in errors if error["field"] != "topic"]
    topic = body.get("topic")
    if topic is not None and topic not in DLQ_TOPICS:
        errors.append({"field": "topic", "message": f"must be one of {', '.join(DLQ_TOPICS)}"})
    if errors:
        raise ValidationFailed(errors)
    dead = select(DeadLetter).where(DeadLetter.state == DEAD)
    if topic is not None:
        dead = dead.where(DeadLetter.topic == topic)
    batch = dead.order_by(DeadLetter.id).limit(REPLAY_BATCH).with_for_update(skip_locked=True)
    replayed: list[str] = []
    superseded = 0
    with context().unit_of_work() as uow:
        for letter in uow.session.scalars(batch):
            if newer_version(uow.session, letter) is not None:
                letter.state = SUPERSEDED
                superseded += 1
            else:
                replay(letter, uow)
                replayed.append(letter.topic)
        uow.session.flush()
        remaining = uow.session.scalar(select(func.count()).select_from(dead.subquery()))
    for dlq in replayed:
        REPLAYED_TOTAL.labels(dlq).inc()
    return jsonify(replayed=len(replayed), superseded=superseded, remaining=remaining), 202


def _envelope() -> dict[str, Any]:
    """The dead letter as a CloudEvent dict without daprd's delivery fields; a body that is
    no CloudEvent at all is kept raw (it cannot be replayed, but it is not lost)."""
    body = request.get_data()
    try:
        cloud_event = from_http(request.headers, body)
    except Exception:  # the SDK raises several kinds; none of them may lose the letter
        return {"raw": body.decode("utf-8", "replace")[:MAX_RAW_CHARS]}
    envelope = {
        name: value
        for name, value in cloud_event.get_attributes().items()
        if name not in DAPR_DELIVERY_FIELDS
    }
    data = cloud_event.get_data()
    if data is not None:
        envelope["data"] = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return envelope
