"""Request -> WebSocket receipt with many connected clients (users x tabs).

The clients connect first (each user's tabs), then writes arrive at a fixed rate
(open loop) from users picked in turn; each write's title marks its `task.created`
on the WebSocket, and every tab of the writer should receive it. If not all the
clients can connect, that count and the first error are the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.load import collector
from bench.load.auth import Auth
from bench.load.http import Call, attempted, client_session, paced
from bench.load.sockets import HubClients
from bench.result import figure
from bench.sizes import Sizes
from bench.stats import summarize_ms

NO_FLOOR = "none measured: the floor apps serve no WebSocket"


def _title(message: dict[str, Any]) -> str | None:
    if message.get("type") != "task.created":
        return None
    return (message.get("payload") or {}).get("title")


async def ws_receipt(
    api: str,
    ws_base: str,
    auth: Auth,
    sizes: Sizes,
    clients: int,
    run_id: str,
    server: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """`server()` reports the hub process (RSS, threads) while the clients are connected."""
    tabs = min(sizes.hub_tabs, clients)
    users = [f"{run_id}-hub{clients}-{i}" for i in range(max(1, clients // tabs))]
    params: dict[str, Any] = {"clients": clients, "users": len(users), "tabs_per_user": tabs}
    params |= {"writes_per_s": sizes.hub_writes_per_s, "seconds": sizes.hub_seconds}
    title = f"Request -> WebSocket receipt, {clients} connected clients"
    path = "start of POST /api/tasks -> its task.created on each of the writer's tabs"
    async with HubClients(ws_base, auth, _title) as hub:
        connected = await hub.connect(users, tabs, deadline=sizes.hub_connect_seconds)
        params["connected"], params["server_while_connected"] = connected, server()
        if connected < len(users) * tabs:
            reason = f"only {connected} of {len(users) * tabs} clients connected; {hub.failed()}"
            return figure(title, path, None, params=params, reason=reason, floor_reason=NO_FLOOR)
        with collector.quiet():  # the clients' own collections would be in the figure
            calls = await _writes(api, auth, sizes, users, run_id, clients)
            ok = [(n, c) for n, c in enumerate(calls) if 200 <= c.status < 300]
            made = {f"{run_id} hub{clients} {n}": c for n, c in ok}
            await hub.wait_for({t: tabs for t in made}, sizes.receipt_timeout)
    receipts = [at - call.started for t, call in made.items() for at in hub.arrivals.get(t, [])]
    result = summarize_ms(receipts)
    if result is not None:
        result["missing"] = len(made) * tabs - len(receipts)
        result["failed_writes"] = len(calls) - len(made)
        errors = [c.body for c in calls if c.status == 0]
        if errors:  # timed out or reset, no answer
            result["write_errors"] = {"count": len(errors), "first": errors[0]}
        result["write_p99_ms"] = (summarize_ms([c.seconds for c in calls]) or {}).get("p99_ms")
    return figure(title, path, result, params=params, floor_reason=NO_FLOOR)


async def _writes(
    api: str, auth: Auth, sizes: Sizes, users: list[str], run_id: str, clients: int
) -> list[Call]:
    async with client_session() as session:

        def write(n: int) -> Any:
            user = users[n % len(users)]
            body = {"title": f"{run_id} hub{clients} {n}"}
            headers = auth.headers(user)
            return attempted(session, "POST", f"{api}/api/tasks", json=body, headers=headers)

        return await paced(sizes.hub_writes_per_s, sizes.hub_seconds, write)
