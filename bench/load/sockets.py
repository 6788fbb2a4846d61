"""Many WebSocket clients of the hub in one asyncio loop, noting when each message arrived.

Each client connects as its user (`Auth.headers`), waits for the hub's `ready`,
then records `key(message) -> [arrival, ...]` (Unix seconds) for every message
whose key is not None. A client that cannot connect is counted, with the first error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp

from bench.load.auth import Auth

Key = Callable[[dict[str, Any]], str | None]


class HubClients:
    def __init__(self, ws_base: str, auth: Auth, key: Key) -> None:
        self.ws_base, self.auth, self.key = ws_base, auth, key
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []
        self.failures: list[str] = []
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HubClients:
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self.session = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        closing = asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        try:  # a server that is slow to answer the close handshake must not hold us
            await asyncio.wait_for(closing, 10)
        except TimeoutError:
            pass
        assert self.session is not None
        await self.session.close()

    async def connect(
        self,
        users: list[str],
        tabs: int,
        *,
        parallel: int = 64,
        timeout: float = 20.0,
        deadline: float = 300.0,
    ) -> int:
        """Open `tabs` connections per user; return how many are live (ready received).
        Each attempt has `timeout` seconds; after `parallel` failures no new one starts
        (the server is full), and after `deadline` seconds the attempts still open end."""
        gate = asyncio.Semaphore(parallel)

        async def one(user: str) -> None:
            async with gate:
                if len(self.failures) >= parallel:
                    return
                try:
                    await asyncio.wait_for(self._open(user, timeout), timeout)
                except TimeoutError:
                    self.failures.append(f"no ready message within {timeout:.0f}s")
                except (aiohttp.ClientError, OSError, ValueError) as error:
                    self.failures.append(f"{type(error).__name__}: {error}")

        attempts = asyncio.gather(*(one(user) for user in users for _ in range(tabs)))
        try:
            await asyncio.wait_for(attempts, deadline)
        except TimeoutError:
            self.failures.append(f"gave up: not all connected within {deadline:.0f}s")
        return len(self.sockets)

    async def _open(self, user: str, timeout: float) -> None:
        assert self.session is not None
        ws = await self.session.ws_connect(
            f"{self.ws_base}/ws/{user}",
            protocols=self.auth.subprotocols(user),
            timeout=aiohttp.ClientWSTimeout(ws_close=5),
            autoping=True,
            max_msg_size=0,
        )
        try:
            first = await asyncio.wait_for(ws.receive(), timeout)
            if first.type != aiohttp.WSMsgType.TEXT or json.loads(first.data)["type"] != "ready":
                raise ValueError(f"the hub's first message was not ready: {first.data!r}")
        except BaseException:
            await ws.close()
            raise
        self.sockets.append(ws)
        self.readers.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.time()
            key = self.key(json.loads(message.data))
            if key is not None:
                self.arrivals[key].append(now)

    async def wait_for(self, expected: dict[str, int], timeout: float) -> None:
        """Until each key has arrived `expected[key]` times, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(len(self.arrivals.get(k, ())) >= n for k, n in expected.items()):
                return
            await asyncio.sleep(0.05)

    def failed(self) -> str:
        """How the connection attempts failed, in a sentence."""
        if not self.failures:
            return "no attempt failed"
        first, last = self.failures[0], self.failures[-1]
        return f"{len(self.failures)} failures, the first: {first}; the last: {last}"
