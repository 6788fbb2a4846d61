"""`todomesh emit URL --type T --data @payload.json [--binary]`: one CloudEvent, and what it did.

The envelope is the platform's own (`Event.to_cloudevent`), wrapped by the
cloudevents SDK the way each delivery path sends it:

- structured, as Dapr delivers: `application/cloudevents+json`, with Dapr's
  `pubsubname` and `topic` attributes;
- binary (`--binary`), as Knative Eventing delivers: attributes in `ce-*` headers,
  the data as the JSON body.

It prints the reply (status and body) and what the function did, read from the
`todomesh_events_total` counters of its `/metrics` before and after (processed,
duplicate or ignored, by type); a reply of DROP also shows in
`todomesh_events_dropped_total`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent
from prometheus_client.parser import text_string_to_metric_families

from functions.shared.events import Event

COUNTERS = ("todomesh_events", "todomesh_events_dropped")
Counts = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def http_delivery(
    envelope: dict[str, Any], *, binary: bool = False, pubsub: str = "pubsub", topic: str = ""
) -> tuple[dict[str, str], bytes]:
    """The headers and body that deliver `envelope` as Knative (binary) or Dapr would."""
    attributes = {k: v for k, v in envelope.items() if k != "data"}
    if not binary:
        attributes.update(pubsubname=pubsub, topic=topic)
    event = CloudEvent(attributes, envelope.get("data"))
    headers, body = to_binary(event) if binary else to_structured(event)
    return dict(headers), body


def envelope_for(event_type: str, data: dict[str, Any], source: str) -> dict[str, Any]:
    """Our envelope around `data`: a payload (a task snapshot, a reminder) or, when it has
    `event_type` and `payload`, a whole event's data whose payload and ids are kept."""
    if "payload" in data and "event_type" in data:
        fields = {k: data[k] for k in ("task_id", "user_id", "schema_version") if k in data}
        event = Event(event_type, payload=data["payload"], **fields)
    else:
        task_id = str(data.get("task_id") or data.get("id") or "")
        event = Event(event_type, task_id, str(data.get("user_id", "")), data)
    return event.to_cloudevent(source)


def add_emit_command(commands: Any) -> argparse.ArgumentParser:
    """Add `emit` to the `todomesh` subcommands (the result of `add_subparsers()`)."""
    emit = commands.add_parser("emit", help="send one CloudEvent to a function, show what it did")
    emit.add_argument("url", help="e.g. http://127.0.0.1:8080/events/task-events")
    emit.add_argument("--type", required=True, help="the event type, e.g. task.completed")
    emit.add_argument("--data", required=True, help="the payload as JSON, or @file.json")
    emit.add_argument("--binary", action="store_true", help="binary mode, as Knative sends it")
    emit.add_argument("--source", default="todo", help="the event's source (app id)")
    emit.add_argument("--topic", help="the topic Dapr names (default: the URL's last segment)")
    emit.add_argument("--pubsub", default="pubsub", help="the pub/sub component Dapr names")
    return emit


def run_emit(args: argparse.Namespace, out: Any = sys.stdout) -> int:
    text = Path(args.data[1:]).read_text() if args.data.startswith("@") else args.data
    envelope = envelope_for(args.type, json.loads(text), args.source)
    topic = args.topic or urlsplit(args.url).path.rstrip("/").rsplit("/", 1)[-1]
    headers, body = http_delivery(envelope, binary=args.binary, pubsub=args.pubsub, topic=topic)
    metrics_url = "{0.scheme}://{0.netloc}/metrics".format(urlsplit(args.url))
    before = event_counts(metrics_url)
    reply = requests.post(args.url, data=body, headers=headers, timeout=30)
    mode = "binary" if args.binary else "structured"
    print(f"sent {envelope['type']} {envelope['id']} ({mode}) to {args.url}", file=out)
    print(f"reply: {reply.status_code} {reply.text.strip()}", file=out)
    for line in what_it_did(before, event_counts(metrics_url)):
        print(f"function: {line}", file=out)
    return 0 if reply.ok else 1


def event_counts(metrics_url: str) -> Counts | None:
    """The event counters a function's `/metrics` shows now; None when it does not answer."""
    try:
        response = requests.get(metrics_url, timeout=10)
        response.raise_for_status()
    except requests.RequestException:
        return None
    counts: Counts = {}
    for family in text_string_to_metric_families(response.text):
        if family.name in COUNTERS:
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    counts[(family.name, tuple(sorted(sample.labels.items())))] = sample.value
    return counts


def what_it_did(before: Counts | None, after: Counts | None) -> list[str]:
    """One line per counter that moved: `audit: task.completed processed (+1)`."""
    if before is None or after is None:
        return ["its /metrics does not answer, so what it did is unknown"]
    lines = []
    for (name, labels), value in sorted(after.items()):
        delta = value - before.get((name, labels), 0.0)
        if delta:
            tags = dict(labels)
            what = tags.get("outcome") or f"dropped ({tags.get('reason')})"
            lines.append(f"{tags['app']}: {tags.get('type', 'event')} {what} (+{delta:g})")
    return lines or ["no event counter moved"]
