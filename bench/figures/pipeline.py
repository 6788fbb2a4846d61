"""Request -> event on its topic, and request -> audit record, under back-to-back writes.

Clients create tasks closed-loop (asyncio, one task id per answer); afterwards each
task id is matched with the moment its `task.created` reached its topic (a callable
of the target: the embedded broker log's stamp, or a Kafka consumer's arrival) and
with its audit record's `recorded_at`. Every time is this machine's clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bench.load.auth import Auth
from bench.load.http import Call, all_pages, client_session, closed_loop, timed
from bench.result import figure, floor, latency_ratio
from bench.stats import summarize_ms

# task ids -> {task id: when its event was on the topic}, waiting for stragglers itself
EventTimes = Callable[[list[str]], dict[str, float]]


async def create_many(
    url: str, auth: Auth, user: str, clients: int, seconds: float, prefix: str = "pipe"
) -> list[tuple[str, Call]]:
    """Closed-loop creates; (id from the answer, the call) for each 2xx."""
    headers = auth.headers(user)
    async with client_session() as session:
        calls = await closed_loop(
            clients,
            seconds,
            lambda n: timed(session, "POST", url, json={"title": f"{prefix} {n}"}, headers=headers),
        )
    return [(c.body["id"], c) for c in calls if 200 <= c.status < 300]


def event_figure(
    made: list[tuple[str, Call]],
    events: EventTimes,
    base: tuple[str, dict[str, Any] | None, str | None],
    params: dict[str, Any],
    where: str,
) -> dict[str, Any]:
    at = events([task_id for task_id, _ in made])
    from_request = [at[t] - c.started for t, c in made if t in at]
    from_answer = [at[t] - c.answered for t, c in made if t in at]
    result = summarize_ms(from_request)
    if result is not None:
        result["after_2xx"] = summarize_ms(from_answer)
        result["missing"] = len(made) - len(from_request)
        result["requests_per_s"] = _rate(made)
    name, base_result, base_reason = base
    return figure(
        "Request -> task.created on task-events",
        f"start of POST /api/tasks (load process) -> the event on its topic ({where})",
        result,
        params=params,
        reason=_unseen(made, "event on its topic"),
        floors={"floor": floor(name, base_result, latency_ratio(result, base_result), base_reason)},
    )


def _unseen(made: list[tuple[str, Call]], what: str) -> str:
    if not made:
        return "no create succeeded"
    return f"not one {what} was seen for the {len(made)} creates before the deadline"


async def audited(
    audit_base: str, auth: Auth, user: str, ids: set[str], timeout: float
) -> dict[str, float]:
    """task id -> its task.created audit record's `recorded_at`, once all are there."""
    found: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    async with client_session() as session:
        while len(found) < len(ids) and time.monotonic() < deadline:
            url = f"{audit_base}/api/audit/{user}"
            for item in await all_pages(session, url, auth.headers(user)):
                if item["task_id"] in ids and item["event_type"] == "task.created":
                    found[item["task_id"]] = _unix(item["recorded_at"])
            if len(found) < len(ids):
                await asyncio.sleep(1.0)
    return found


def audit_figure(
    made: list[tuple[str, Call]],
    recorded: dict[str, float],
    base: tuple[str, dict[str, Any] | None, str | None],
    params: dict[str, Any],
) -> dict[str, Any]:
    result = summarize_ms([recorded[t] - c.started for t, c in made if t in recorded])
    if result is not None:
        result["missing"] = len(made) - result["count"]
    name, base_result, base_reason = base
    return figure(
        "Request -> audit record",
        "start of POST /api/tasks -> the audit record's recorded_at (stamped in the audit"
        " transaction; read afterwards through GET /api/audit/<user>)",
        result,
        params=params,
        reason=_unseen(made, "audit record"),
        floors={"floor": floor(name, base_result, latency_ratio(result, base_result), base_reason)},
    )


def _rate(made: list[tuple[str, Call]]) -> float | None:
    if len(made) < 2:
        return None
    span = max(c.answered for _, c in made) - min(c.started for _, c in made)
    return round(len(made) / span, 1)


def _unix(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
