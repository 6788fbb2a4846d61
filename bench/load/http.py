"""Timed HTTP calls from asyncio (aiohttp): closed loops, paced loops and paging.

Times are Unix seconds (`time.time()`), so they compare with the timestamps the
servers on this machine write (an audit record's `recorded_at`, say).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Call:
    started: float
    answered: float
    status: int
    body: Any

    @property
    def seconds(self) -> float:
        return self.answered - self.started


async def timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Call:
    started = time.time()
    async with session.request(method, url, **kwargs) as response:
        body = await response.json(content_type=None) if response.content_length != 0 else None
        return Call(started, time.time(), response.status, body)


async def attempted(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Call:
    """`timed`, with a call that fails (timeout, reset) kept as status 0 and its error,
    so an open loop against an overloaded server still yields a figure."""
    started = time.time()
    try:
        return await timed(session, method, url, **kwargs)
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return Call(started, time.time(), 0, f"{type(error).__name__}: {error}")


# uvicorn closes a connection idle for 5 s (`timeout_keep_alive`); aiohttp would keep it
# for 15. A request sent on a connection the server is closing at that moment fails with
# a reset, which is the client's race, not a failed write: idle ones go first.
KEEPALIVE_SECONDS = 2.0


def client_session(connections: int = 0) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=KEEPALIVE_SECONDS)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


async def closed_loop(
    clients: int, seconds: float, call: Callable[[int], Awaitable[Call]]
) -> list[Call]:
    """`clients` workers each make `call(n)` back to back until `seconds` have passed."""
    deadline, calls, counter = time.monotonic() + seconds, [], iter(range(10**9))

    async def worker() -> None:
        while time.monotonic() < deadline:
            calls.append(await call(next(counter)))

    await asyncio.gather(*(worker() for _ in range(clients)))
    return calls


async def paced(rate: float, seconds: float, call: Callable[[int], Awaitable[Call]]) -> list[Call]:
    """Open loop: start `call(n)` every 1/rate seconds whatever the earlier ones do."""
    started, tasks = time.monotonic(), []
    for n in range(max(1, int(rate * seconds))):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(call(n)))
    return list(await asyncio.gather(*tasks))


async def all_pages(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """Every item of a keyset-paged list (`{items, next_cursor}`)."""
    items: list[dict[str, Any]] = []
    params: dict[str, str] = {"limit": "200"}
    while True:
        async with session.get(url, params=params, headers=headers) as response:
            response.raise_for_status()
            page = await response.json()
        items += page["items"]
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


class ReadLoop(threading.Thread):
    """GETs `url` closed-loop from `clients` workers in a thread of its own until
    `stop()`; connection errors (the server not up yet) are retried, not counted."""

    def __init__(self, url: str, headers: dict[str, str], clients: int = 1) -> None:
        super().__init__(name="read-loop", daemon=True)
        self.url, self.headers, self.clients = url, headers, clients
        self.calls: list[Call] = []
        self._halt = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        async with client_session() as session:

            async def worker() -> None:
                while not self._halt.is_set():
                    try:
                        self.calls.append(
                            await timed(session, "GET", self.url, headers=self.headers)
                        )
                    except (aiohttp.ClientError, OSError, TimeoutError):
                        await asyncio.sleep(0.05)

            await asyncio.gather(*(worker() for _ in range(self.clients)))

    def stop(self) -> list[Call]:
        self._halt.set()
        self.join()
        return self.calls
