"""The goals the figures are held against, as ratios or limits measured in the same run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[dict[str, Any]], tuple[Any, bool | None]]  # figures -> (value, met)


def _get(figures: dict[str, Any], *path: str) -> Any:
    node: Any = figures
    for key in path:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


def _below(value: Any, limit: float) -> bool | None:
    return None if value is None else value < limit


def _writes_dapr(f: dict[str, Any]) -> tuple[Any, bool | None]:
    ratio = _get(f, "writes", "floors", "flask_pg_daprd", "ratio", "throughput")
    p99 = _get(f, "writes", "todomesh", "p99_ms")
    met = None if ratio is None or p99 is None else ratio >= 0.7 and p99 < 50
    return f"{ratio}x the floor, p99 {p99} ms", met


def _writes_embedded(f: dict[str, Any]) -> tuple[Any, bool | None]:
    ratio = _get(f, "writes", "floors", "flask_sqlite", "ratio", "throughput")
    return f"{ratio}x the floor", None if ratio is None else ratio >= 0.35


def _p99(figure: str, *inner: str, limit: float) -> Check:
    def check(f: dict[str, Any]) -> tuple[Any, bool | None]:
        value = _get(f, figure, "todomesh", *inner, "p99_ms")
        return f"p99 {value} ms", _below(value, limit)

    return check


def _drain(f: dict[str, Any]) -> tuple[Any, bool | None]:
    """Per instance: the Dapr run drains each consumer alone (and all three at once)."""
    slowest = _get(f, "backlog_drain", "todomesh", "slowest_events_per_s")
    text = f"slowest consumer {slowest} events/s"
    shared = _get(f, "backlog_drain", "todomesh", "together", "slowest_events_per_s")
    if shared is not None:
        text += f" alone; {shared} with all three draining at once"
    return text, None if slowest is None else slowest >= 1000


def _hub(f: dict[str, Any]) -> tuple[Any, bool | None]:
    fig = f.get("ws_receipt_10k") or {}
    params, result = fig.get("params", {}), fig.get("todomesh")
    rss = _get(params, "server_while_connected", "rss_mb")
    connected, clients = params.get("connected"), params.get("clients")
    if result is None:
        return f"{connected} of {clients} connected, hub RSS {rss} MB", False
    p99 = result.get("p99_ms")
    met = connected == clients and rss is not None and rss < 1024 and p99 < 100
    return f"{connected} connected, hub RSS {rss} MB, receipt p99 {p99} ms", met


def _at_rest(f: dict[str, Any]) -> tuple[Any, bool | None]:
    share = _get(f, "cpu_at_rest", "todomesh", "total_cpu_fraction")
    text = None if share is None else f"{share * 100:.2f} % of a core"
    return text, _below(share, 0.005)


@dataclass(frozen=True)
class Goal:
    text: str
    modes: tuple[str, ...]
    check: Check


GOALS = (
    Goal(
        "Writes, Dapr: >= 0.7x the floor (Flask + PostgreSQL insert + one daprd publish),"
        " p99 < 50 ms",
        ("dapr",),
        _writes_dapr,
    ),
    Goal(
        "Event lag: 2xx -> event on Kafka p99 < 25 ms, 8 clients back to back",
        ("dapr",),
        _p99("request_to_event", "after_2xx", limit=25),
    ),
    Goal("Writes, embedded: >= 0.35x the SQLite floor", ("embedded",), _writes_embedded),
    Goal(
        "Reads: GET /api/tasks p99 < 25 ms while a 10,000-event backlog drains",
        ("embedded", "dapr"),
        _p99("reads_during_drain", limit=25),
    ),
    Goal("Consumers: each drains >= 1,000 events/s (Dapr)", ("dapr",), _drain),
    Goal(
        "Hub: 10,000 connections in one process under 1 GB RSS; receipt p99 < 100 ms"
        " at 100 writes/s",
        ("embedded", "dapr"),
        _hub,
    ),
    Goal(
        "Reminders: lateness p99 < 1 s, 100 due at once",
        ("embedded", "dapr"),
        _p99("reminder_lateness", limit=1000),
    ),
    Goal("At rest: todomesh dev < 0.5 % of a core", ("embedded",), _at_rest),
)
