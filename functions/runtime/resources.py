"""Read the Dapr resources the embedded runtime shares with real daprd.

`dapr/subscriptions/*.yaml` (v2alpha1 Subscriptions with routing rules),
`bindings/*.yaml` (cron input bindings) and `dapr/resiliency.yaml` (retry
policies). Routing rules use a small, strict subset of CEL, the one our
subscriptions use: `event.<attribute> == "<value>"` joined by `&&` or `||`.
Anything else is refused at load time rather than silently misrouted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RESOURCE_DIRS = (REPO_ROOT / "dapr", REPO_ROOT / "bindings")
_CONDITION = re.compile(r'^event\.(\w+)\s*==\s*"([^"]*)"$')
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class ResourceError(ValueError):
    """A resource file the embedded runtime cannot honour faithfully."""


@dataclass(frozen=True)
class Rule:
    any_of: tuple[tuple[tuple[str, str], ...], ...]  # OR of ANDs of (attribute, value)
    path: str

    def matches(self, envelope: Mapping[str, Any]) -> bool:
        return any(all(envelope.get(a) == v for a, v in conj) for conj in self.any_of)


@dataclass(frozen=True)
class Subscription:
    name: str
    pubsub: str
    topic: str
    app_id: str
    dead_letter_topic: str | None
    rules: tuple[Rule, ...] = ()
    default_path: str | None = None
    # `bulkSubscribe.maxMessagesCount` when bulk delivery is enabled, else None
    bulk_max_messages: int | None = None
    # `bulkSubscribe.maxAwaitDurationMs` in seconds (Dapr's default 1 s) when enabled
    bulk_max_await_seconds: float | None = None

    def route(self, envelope: Mapping[str, Any]) -> str | None:
        """The path this event goes to, or None when no rule and no default match."""
        for rule in self.rules:
            if rule.matches(envelope):
                return rule.path
        return self.default_path


@dataclass(frozen=True)
class CronBinding:
    name: str
    schedule: str
    app_id: str


@dataclass(frozen=True)
class RetryPolicy:
    """Constant `duration`, or exponential from 500 ms x1.5 up to `maxInterval`, as Dapr."""

    policy: str = "constant"
    duration: float = 5.0
    max_interval: float = 60.0
    max_retries: int = -1

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if self.policy == "exponential":
            return min(self.max_interval, 0.5 * 1.5 ** (attempt - 1))
        return self.duration

    def exhausted(self, retries_done: int) -> bool:
        return self.max_retries >= 0 and retries_done >= self.max_retries


@dataclass
class Resources:
    subscriptions: list[Subscription] = field(default_factory=list)
    cron: list[CronBinding] = field(default_factory=list)
    inbound_retry: dict[str, RetryPolicy] = field(default_factory=dict)

    def retry_for(self, pubsub: str) -> RetryPolicy:
        # Without a policy Dapr would retry forever; the embedded runtime does too.
        return self.inbound_retry.get(pubsub, RetryPolicy())


def load_resources(dirs: Iterable[Path] = DEFAULT_RESOURCE_DIRS) -> Resources:
    resources = Resources()
    for path in sorted(p for d in dirs for p in Path(d).rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict):
                _add(resources, doc, path)
    return resources


def _add(resources: Resources, doc: dict[str, Any], path: Path) -> None:
    kind, spec, name = doc.get("kind"), doc.get("spec") or {}, doc["metadata"]["name"]
    scopes = doc.get("scopes") or []
    if kind == "Subscription":
        for app_id in scopes:
            resources.subscriptions.append(_subscription(name, spec, app_id, path))
    elif kind == "Component" and spec.get("type") == "bindings.cron":
        meta = {m["name"]: m.get("value") for m in spec.get("metadata", [])}
        for app_id in scopes:
            resources.cron.append(CronBinding(name, meta["schedule"], app_id))
    elif kind == "Resiliency":
        _resiliency(resources, spec)


def _subscription(name: str, spec: dict[str, Any], app_id: str, path: Path) -> Subscription:
    routes = spec.get("routes") or {}
    rules = tuple(Rule(_parse_match(r["match"], path), r["path"]) for r in routes.get("rules", []))
    return Subscription(
        name=name,
        pubsub=spec["pubsubname"],
        topic=spec["topic"],
        app_id=app_id,
        dead_letter_topic=spec.get("deadLetterTopic"),
        rules=rules,
        default_path=routes.get("default") or spec.get("route"),
        **_bulk(spec.get("bulkSubscribe") or {}),
    )


def _bulk(bulk: dict[str, Any]) -> dict[str, Any]:
    """How many messages one bulk delivery may carry, and how long a batch may gather
    (Dapr's defaults: 100, 1000 ms); nothing without bulk."""
    if not bulk.get("enabled"):
        return {}
    return {
        "bulk_max_messages": max(1, int(bulk.get("maxMessagesCount", 100))),
        "bulk_max_await_seconds": max(0, int(bulk.get("maxAwaitDurationMs", 1000))) / 1000,
    }


def _parse_match(expression: str, path: Path) -> tuple[tuple[tuple[str, str], ...], ...]:
    alternatives = []
    for alternative in expression.split("||"):
        conjunction = []
        for condition in alternative.split("&&"):
            found = _CONDITION.match(condition.strip())
            if not found:
                raise ResourceError(f"{path}: unsupported routing rule {expression!r}")
            conjunction.append((found.group(1), found.group(2)))
        alternatives.append(tuple(conjunction))
    return tuple(alternatives)


def _resiliency(resources: Resources, spec: dict[str, Any]) -> None:
    policies = {
        name: RetryPolicy(
            policy=p.get("policy", "constant"),
            duration=parse_duration(p.get("duration", "5s")),
            max_interval=parse_duration(p.get("maxInterval", "60s")),
            max_retries=int(p.get("maxRetries", -1)),
        )
        for name, p in (spec.get("policies", {}).get("retries") or {}).items()
    }
    components = (spec.get("targets") or {}).get("components") or {}
    for component, target in components.items():
        retry = ((target or {}).get("inbound") or {}).get("retry")
        if retry:
            resources.inbound_retry[component] = policies[retry]


def parse_duration(text: str | int | float) -> float:
    """Go-style durations as Dapr writes them: `500ms`, `5s`, `1m30s`."""
    if isinstance(text, int | float):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ResourceError(f"not a duration: {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def every(schedule: str) -> timedelta | None:
    """The period of an `@every <duration>` schedule, else None."""
    if schedule.startswith("@every "):
        return timedelta(seconds=parse_duration(schedule.removeprefix("@every ").strip()))
    return None
