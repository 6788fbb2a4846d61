"""How a message goes to its app, and what the app's reply means, as with daprd.

One by one: `POST <route>` with the structured CloudEvent
(`application/cloudevents+json`), plus `pubsubname` and `topic` as Dapr adds them.
2xx with `SUCCESS` (or no JSON status) acknowledges; `RETRY` or any non-2xx but 404
is retried; `DROP` goes to the dead-letter topic; 404 drops the message.

In bulk (`bulkSubscribe`): one `POST <route>` (`application/json`) carries the batch's
messages that route to it:
`{"id", "type": "com.dapr.event.sent.bulk", "pubsubname", "topic", "metadata",
"entries": [{"entryId", "event", "contentType", "metadata"}]}`. The app answers
`{"statuses": [{"entryId", "status"}]}`; as daprd reads it, an entry left out (or with
a status it does not know) is retried, a body that is no JSON retries them all, 404 drops
them all, and any other non-2xx retries them all.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from functions.runtime.resources import Subscription
from functions.shared.deliveries import BULK_TYPE
from functions.shared.events import CLOUDEVENT_CONTENT_TYPE
from functions.shared.logs import log_context

log = logging.getLogger(__name__)
SUCCESS, RETRY, DROP, NOT_FOUND = "SUCCESS", "RETRY", "DROP", "NOT_FOUND"
# transport(app_id, path, body, headers) -> (HTTP status, response body)
Transport = Callable[[str, str, bytes, dict[str, str]], tuple[int, bytes]]
Envelope = tuple[Mapping[str, Any], str, str]  # (CloudEvent, topic, partition key)


def outcome_of(status: int, body: bytes) -> str:
    """Map an app's reply to what Dapr does with the message."""
    if status == 404:
        return NOT_FOUND
    if not 200 <= status < 300:
        return RETRY
    try:
        reply = json.loads(body) if body else {}
    except ValueError:
        return SUCCESS
    answer = str(reply.get("status", SUCCESS)).upper() if isinstance(reply, dict) else SUCCESS
    return answer if answer in (SUCCESS, RETRY, DROP) else RETRY


def deliver_one(
    sub: Subscription, transport: Transport, envelope: Mapping[str, Any], topic: str, key: str
) -> str:
    """Deliver one message alone; its outcome."""
    event = {**envelope, "pubsubname": sub.pubsub, "topic": topic}
    path = sub.route(event)
    if path is None:
        return SUCCESS  # no rule and no default route: acknowledged untouched
    body = json.dumps(event).encode()
    with log_context(event_id=event.get("id"), task_id=key, traceparent=event.get("traceparent")):
        try:
            status, reply = transport(
                sub.app_id, path, body, {"Content-Type": CLOUDEVENT_CONTENT_TYPE}
            )
        except Exception:
            log.exception("delivery failed", extra={"subscription": sub.name})
            return RETRY
    return outcome_of(status, reply)


def deliver_bulk(sub: Subscription, transport: Transport, envelopes: list[Envelope]) -> list[str]:
    """Deliver messages of one subscription at once, a request per route; each's outcome."""
    events = [{**e, "pubsubname": sub.pubsub, "topic": topic} for e, topic, _ in envelopes]
    outcomes = [SUCCESS] * len(events)
    by_path: dict[str, list[int]] = {}
    for index, event in enumerate(events):
        path = sub.route(event)
        if path is not None:  # no route: acknowledged untouched, as one by one
            by_path.setdefault(path, []).append(index)
    for path, indexes in by_path.items():
        entries = [(str(i), events[i]) for i in indexes]
        body = bulk_body(sub.pubsub, sub.topic, entries)
        try:
            status, reply = transport(sub.app_id, path, body, {"Content-Type": "application/json"})
        except Exception:
            log.exception("bulk delivery failed", extra={"subscription": sub.name})
            status, reply = 503, b""
        answers = bulk_outcomes(status, reply, [entry_id for entry_id, _ in entries])
        for i in indexes:
            outcomes[i] = answers[str(i)]
    return outcomes


def bulk_body(pubsub: str, topic: str, entries: Sequence[tuple[str, Mapping[str, Any]]]) -> bytes:
    """The request body for `(entry id, CloudEvent envelope)` pairs of one topic."""
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": BULK_TYPE,
            "pubsubname": pubsub,
            "topic": topic,
            "metadata": {},
            "entries": [
                {
                    "entryId": entry_id,
                    "event": envelope,
                    "contentType": CLOUDEVENT_CONTENT_TYPE,
                    "metadata": {},
                }
                for entry_id, envelope in entries
            ],
        }
    ).encode()


def bulk_outcomes(status: int, body: bytes, entry_ids: Sequence[str]) -> dict[str, str]:
    """What happens to each entry, from the app's reply to a bulk delivery."""
    if status == 404:
        return dict.fromkeys(entry_ids, NOT_FOUND)
    try:
        statuses = json.loads(body)["statuses"] if 200 <= status < 300 else None
        answers = {str(s["entryId"]): str(s.get("status", "")).upper() for s in statuses}
    except (ValueError, TypeError, KeyError):
        return dict.fromkeys(entry_ids, RETRY)
    return {
        entry_id: answer if (answer := answers.get(entry_id)) in (SUCCESS, DROP) else RETRY
        for entry_id in entry_ids
    }
