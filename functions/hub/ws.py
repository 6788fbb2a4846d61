"""`GET /ws/<user_id>`: a user's live changes over a WebSocket (ASGI).

The caller is checked before the upgrade; a refused upgrade is answered with a
problem+json response. `?since=<seq>` replays what the client missed. Each
connection is two tasks on the event loop: the stream that writes, and a
reader that notices the client leave (and drops whatever it sends).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from functions.hub.service import Hub
from functions.hub.stream import Stream
from functions.shared.problems import PROBLEM_JSON, Problem, problem_body

log = logging.getLogger(__name__)
INTERNAL_ERROR = 1011
Endpoint = Callable[[WebSocket], Awaitable[None]]


def authorise(hub: Hub, websocket: WebSocket) -> str:
    """The user whose stream this is, once the caller may follow it."""
    user_id = websocket.path_params["user_id"]
    caller = websocket.headers.get("x-user-id", "").strip()
    if not caller and hub.settings.mode == "embedded":
        caller = websocket.query_params.get("user", "").strip()
    if not caller:
        raise Problem(401, "Unauthorized", "Send your user id in the X-User-Id header.")
    if caller != user_id:
        raise Problem(403, "Forbidden", "You can only follow your own changes.")
    return user_id


def since_param(query: Mapping[str, str]) -> int | None:
    raw = query.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise Problem(400, "Bad Request", "since must be a non-negative integer sequence number.")
    return int(raw)


def endpoint(hub: Hub) -> Endpoint:
    """The ASGI WebSocket endpoint of `hub`."""

    async def websocket_stream(websocket: WebSocket) -> None:
        try:
            user_id, since = authorise(hub, websocket), since_param(websocket.query_params)
        except Problem as problem:
            await websocket.send_denial_response(_problem(websocket, problem))
            return
        await websocket.accept()
        async with hub.connections.connect(user_id) as conn:
            stream = Stream(_Socket(websocket), conn, hub.replay_log)
            await _serve(websocket, stream.run(since), user_id)

    return websocket_stream


async def _serve(websocket: WebSocket, stream: Awaitable[None], user_id: str) -> None:
    writer = asyncio.ensure_future(stream)
    reader = asyncio.ensure_future(_drain(websocket))
    done, _ = await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    for task in (writer, reader):
        task.cancel()
    await asyncio.gather(writer, reader, return_exceptions=True)
    if writer in done and not writer.cancelled() and writer.exception() is not None:
        error = writer.exception()
        if not isinstance(error, TimeoutError | WebSocketDisconnect | OSError):
            log.error("websocket stream failed", exc_info=error, extra={"user_id": user_id})
            await _close_quietly(websocket, INTERNAL_ERROR, "hub error; reconnect with since")


async def _drain(websocket: WebSocket) -> None:
    """Until the client goes away: clients have nothing to say yet, so drop what they send."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


async def _close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    try:
        await websocket.close(code, reason)
    except (RuntimeError, OSError):
        pass


class _Socket:
    """The stream's view of a Starlette WebSocket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def send(self, text: str) -> None:
        await self.websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        await self.websocket.close(code, reason)


def _problem(websocket: WebSocket, problem: Problem) -> Response:
    body = problem_body(problem.status, problem.title, problem.detail, websocket.url.path)
    return Response(body, status_code=problem.status, media_type=PROBLEM_JSON)
