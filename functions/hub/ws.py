"""`GET /ws/<user_id>`: a user's live changes over a WebSocket (ASGI).

The caller shows a bearer token in one of two ways, never in the URL:
- the subprotocols `bearer, <token>` (the hub answers `bearer`): checked before
  the upgrade, so a refusal is a problem+json response (401, 403);
- or, after a plain upgrade, a first message `{"type": "auth", "token": ...}`
  within `hub_auth_seconds`: a refusal is a close with `UNAUTHORIZED` or `FORBIDDEN`.

When the token expires the hub closes with `UNAUTHORIZED`; the client gets a
fresh token and reconnects with `?since=<last seq>`, losing nothing. Each
connection is two tasks on the event loop: the stream that writes, and a
reader that notices the client leave (and drops whatever it sends).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from functions.hub.service import Hub
from functions.hub.stream import Stream
from functions.shared.events import utcnow
from functions.shared.identity import Caller, KeysUnavailable, TokenError, websocket_token
from functions.shared.identity.bearer import WEBSOCKET_PROTOCOL
from functions.shared.identity.web import challenge
from functions.shared.problems import PROBLEM_JSON, Problem, problem_body

log = logging.getLogger(__name__)
UNAUTHORIZED = 4401  # no valid token (missing, bad, or expired): reconnect with a fresh one
FORBIDDEN = 4403  # a valid token of another user
INTERNAL_ERROR = 1011
Endpoint = Callable[[WebSocket], Awaitable[None]]


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
        user_id = websocket.path_params["user_id"]
        try:
            since = since_param(websocket.query_params)
            token = websocket_token(websocket.headers)
            caller = _caller_of(hub, token, user_id) if token else None
        except (Problem, TokenError, KeysUnavailable) as refused:
            await websocket.send_denial_response(_refusal(websocket, refused))
            return
        await websocket.accept(subprotocol=WEBSOCKET_PROTOCOL if caller else None)
        caller = caller or await _first_message_auth(hub, websocket, user_id)
        if caller is None:
            return
        async with hub.connections.connect(user_id) as conn:
            delay = (caller.expires_at - utcnow()).total_seconds()
            expiry = asyncio.get_running_loop().call_later(
                max(0.0, delay), conn.request_close, UNAUTHORIZED, "token expired; reconnect"
            )
            try:
                stream = Stream(_Socket(websocket), conn, hub.replay_log)
                await _serve(websocket, stream.run(since), user_id)
            finally:
                expiry.cancel()

    return websocket_stream


def _caller_of(hub: Hub, token: str | None, user_id: str) -> Caller:
    caller = hub.verifier.verify(token)
    if caller.user_id != user_id:
        raise Problem(403, "Forbidden", "You can only follow your own changes.")
    return caller


async def _first_message_auth(hub: Hub, websocket: WebSocket, user_id: str) -> Caller | None:
    """The caller of a first `{"type": "auth", "token": ...}` message, or None once the
    socket is closed with the reason."""
    try:
        message = await asyncio.wait_for(websocket.receive_text(), hub.settings.hub_auth_seconds)
        body = json.loads(message)
        if not isinstance(body, dict) or body.get("type") != "auth":
            raise TokenError("missing", 'Send {"type": "auth", "token": ...} first.')
        return _caller_of(hub, str(body.get("token") or ""), user_id)
    except Problem as refused:
        await _close_quietly(websocket, FORBIDDEN, refused.detail or refused.title)
    except (TokenError, KeysUnavailable) as refused:
        await _close_quietly(websocket, UNAUTHORIZED, str(refused)[:120])
    except (TimeoutError, ValueError):
        await _close_quietly(websocket, UNAUTHORIZED, "no auth message in time")
    except (WebSocketDisconnect, RuntimeError):
        pass
    return None


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
    """Until the client goes away: clients have nothing more to say, so drop what they send."""
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


def _refusal(websocket: WebSocket, refused: Exception) -> Response:
    path = websocket.url.path
    if isinstance(refused, TokenError):
        body = problem_body(401, "Unauthorized", refused.detail, path, reason=refused.reason)
        response = Response(body, status_code=401, media_type=PROBLEM_JSON)
        response.headers["WWW-Authenticate"] = challenge(refused)
        return response
    if isinstance(refused, KeysUnavailable):
        detail = "The identity provider's keys cannot be fetched now; try again shortly."
        body = problem_body(503, "Service Unavailable", detail, path, dependency="identity")
        return Response(body, status_code=503, media_type=PROBLEM_JSON)
    assert isinstance(refused, Problem)
    body = problem_body(refused.status, refused.title, refused.detail, path)
    return Response(body, status_code=refused.status, media_type=PROBLEM_JSON)
