"""The event contract as code: validate a published envelope against contracts/.

`validate_event(envelope)` checks a structured CloudEvent against the JSON Schema
of its type (`contracts/schemas/<type>.json`, `$ref`s into `common.json`
resolved locally), then the equalities JSON Schema cannot express. Pass
`topic=` and `key=` (an outbox row's topic and partition key) to also check
that `contracts/asyncapi.yaml` lists the type on that channel and that the
Kafka record key is the task id. Raises `ContractViolation` listing every problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
SCHEMAS = CONTRACTS / "schemas"
ASYNCAPI = CONTRACTS / "asyncapi.yaml"
COMMON = "common.json"

TASK_PAYLOAD_TYPES = frozenset(
    {
        "task.created",
        "task.updated",
        "task.completed",
        "task.deleted",
        "task.reopened",
        "recurring.task.created",
    }
)


class ContractViolation(AssertionError):
    """An envelope does not satisfy the published event contract."""

    def __init__(self, event_type: str, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{event_type}: " + "; ".join(self.problems))


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def schema_files() -> dict[str, Path]:
    """Every schema file by name, `common.json` included."""
    return {path.name: path for path in sorted(SCHEMAS.glob("*.json"))}


def event_types() -> list[str]:
    """The event types that have a schema of their own."""
    return [name.removesuffix(".json") for name in schema_files() if name != COMMON]


@cache
def registry() -> Registry:
    """All schemas, retrievable by their `$id` (relative `$ref`s resolve against it)."""
    resources = []
    for path in schema_files().values():
        contents = load_json(path)
        resources.append((contents["$id"], Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def validator(event_type: str) -> Draft202012Validator:
    path = SCHEMAS / f"{event_type}.json"
    if event_type == COMMON.removesuffix(".json") or not path.is_file():
        raise ContractViolation(event_type, [f"no schema {path.relative_to(ROOT)}"])
    return Draft202012Validator(
        load_json(path),
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@cache
def asyncapi() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))


@cache
def channel_types() -> dict[str, frozenset[str]]:
    """Topic (channel address) -> the event types its messages declare."""
    document = asyncapi()
    messages = document["components"]["messages"]
    topics: dict[str, frozenset[str]] = {}
    for channel in document["channels"].values():
        names = set()
        for ref in channel.get("messages", {}).values():
            names.add(messages[ref["$ref"].rsplit("/", 1)[-1]]["name"])
        topics[channel["address"]] = frozenset(names)
    return topics


def schema_problems(envelope: Mapping[str, Any]) -> list[str]:
    """What the JSON Schema of the envelope's type finds wrong with it."""
    event_type = envelope.get("type")
    if not isinstance(event_type, str):
        return ["envelope has no string `type`"]
    errors = validator(event_type).iter_errors(envelope)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<envelope>'}: {error.message}"
        for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ]


def consistency_problems(envelope: Mapping[str, Any]) -> list[str]:
    """The equalities between envelope, `data` and payload that a schema cannot state."""
    data = envelope.get("data") or {}
    payload = data.get("payload") or {}
    problems = []
    pairs = [
        ("id", "event_id"),
        ("type", "event_type"),
        ("subject", "task_id"),
        ("time", "timestamp"),
    ]
    for attribute, field in pairs:
        if envelope.get(attribute) != data.get(field):
            problems.append(
                f"{attribute}={envelope.get(attribute)!r} but data.{field}={data.get(field)!r}"
            )
    own_id = "id" if envelope.get("type") in TASK_PAYLOAD_TYPES else "task_id"
    if payload.get(own_id) != data.get("task_id"):
        problems.append(f"payload.{own_id}={payload.get(own_id)!r} but data.task_id differs")
    if payload.get("user_id") != data.get("user_id"):
        problems.append(f"payload.user_id={payload.get('user_id')!r} but data.user_id differs")
    return problems


def validate_event(
    envelope: Mapping[str, Any], *, topic: str | None = None, key: str | None = None
) -> None:
    """Raise ContractViolation unless `envelope` is a valid event of its type.

    `topic`: the channel it was published on, which must list its type in
    asyncapi.yaml. `key`: the Kafka record key, which must be the task id.
    """
    problems = schema_problems(envelope)
    problems += consistency_problems(envelope)
    event_type = str(envelope.get("type"))
    if topic is not None:
        allowed = channel_types().get(topic)
        if allowed is None:
            problems.append(f"topic {topic!r} is not a channel in asyncapi.yaml")
        elif event_type not in allowed:
            problems.append(f"asyncapi.yaml does not list {event_type} on {topic}")
    if key is not None:
        task_id = (envelope.get("data") or {}).get("task_id")
        if key != task_id:
            problems.append(f"Kafka key {key!r} is not data.task_id {task_id!r}")
    if problems:
        raise ContractViolation(event_type, problems)
