"""What happens later: the next occurrence of a completed recurring task, and reminders.

Both are watched as the user sees them, on one WebSocket tab of their own:
- complete -> next occurrence: from the start of `POST /api/tasks/<id>/complete`
  until the new occurrence's `task.created` (its `parent_task_id` is the series);
  one completion at a time;
- reminder lateness: N tasks whose reminders are all due in the same second; from
  that second until each `notification.sent` (the in-app reminder) arrives.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.load.auth import Auth
from bench.load.http import client_session, timed
from bench.load.sockets import HubClients
from bench.result import figure
from bench.sizes import Sizes
from bench.stats import summarize_ms


def _series(message: dict[str, Any]) -> str | None:
    if message.get("type") != "task.created":
        return None
    return (message.get("payload") or {}).get("parent_task_id")


def _reminded(message: dict[str, Any]) -> str | None:
    return message.get("task_id") if message.get("type") == "notification.sent" else None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def recurring_next(api: str, ws_base: str, auth: Auth, sizes: Sizes, user: str) -> Any:
    headers = auth.headers(user)
    tomorrow = _iso(datetime.now(UTC) + timedelta(days=1))
    latencies, missing = [], 0
    async with HubClients(ws_base, auth, _series) as hub, client_session() as session:
        await hub.connect([user], 1)
        for n in range(sizes.recurring):
            body = {"title": f"series {n}", "recurrence": "daily", "due_date": tomorrow}
            made = await timed(session, "POST", f"{api}/api/tasks", json=body, headers=headers)
            task_id = made.body["id"]
            url = f"{api}/api/tasks/{task_id}/complete"
            done = await timed(session, "POST", url, headers=headers)
            await hub.wait_for({task_id: 1}, sizes.receipt_timeout)
            arrived = hub.arrivals.get(task_id)
            if arrived and done.status < 300:
                latencies.append(arrived[0] - done.started)
            else:
                missing += 1
    result = summarize_ms(latencies)
    if result is not None:
        result["missing"] = missing
    return figure(
        "Complete -> next occurrence visible",
        "start of POST /api/tasks/<id>/complete -> the next occurrence's task.created on the"
        " user's WebSocket (one completion at a time)",
        result,
        params={"completions": sizes.recurring, "recurrence": "daily"},
        reason=f"no next occurrence arrived within {sizes.receipt_timeout}s",
        floor_reason="none: no floor app has a later step",
    )


async def reminder_lateness(
    api: str, ws_base: str, auth: Auth, sizes: Sizes, user: str, reminder_mode: str
) -> Any:
    headers = auth.headers(user)
    due = datetime.fromtimestamp(int(time.time() + sizes.reminder_lead_seconds) + 1, UTC)
    body = {"reminder_time": _iso(due), "due_date": _iso(due + timedelta(hours=1))}
    async with HubClients(ws_base, auth, _reminded) as hub, client_session() as session:
        await hub.connect([user], 1)
        calls = await asyncio.gather(
            *(
                timed(
                    session,
                    "POST",
                    f"{api}/api/tasks",
                    json=body | {"title": f"remind {n}"},
                    headers=headers,
                )
                for n in range(sizes.reminders)
            )
        )
        created_by = max(c.answered for c in calls)
        ids = [c.body["id"] for c in calls if c.status < 300]
        await hub.wait_for({i: 1 for i in ids}, sizes.reminder_lead_seconds + sizes.receipt_timeout)
    late = [hub.arrivals[i][0] - due.timestamp() for i in ids if hub.arrivals.get(i)]
    result = summarize_ms(late)
    if result is not None:
        result["missing"] = len(ids) - len(late)
        result["created_before_due_s"] = round(due.timestamp() - created_by, 2)
    return figure(
        f"Reminder lateness, {sizes.reminders} due in the same second ({reminder_mode})",
        "the reminder_time -> the in-app notification.sent on the user's WebSocket",
        result,
        params={"reminders": sizes.reminders, "mode": reminder_mode},
        reason="no reminder arrived",
        floor_reason="none: a reminder has no floor app; the goal is absolute (p99 < 1 s)",
    )
