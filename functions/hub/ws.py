"""`GET /ws/<user_id>`: a user's live changes over a WebSocket.

Authorised like the REST API, by `X-User-Id` (or, in the embedded mode, a
`user` query parameter, as browsers cannot set headers on a WebSocket), and
checked before the upgrade. `?since=<seq>` replays what the client missed.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from functions.hub.service import Hub
from functions.hub.stream import SimpleSocket, Stream
from functions.shared.problems import Problem
from functions.shared.wiring import provided

log = logging.getLogger(__name__)
sock = Sock()
websockets = Blueprint("hub_ws", __name__)
INTERNAL_ERROR = 1011


@websockets.before_request
def authorise() -> None:
    user_id = (request.view_args or {}).get("user_id", "")
    caller = request.headers.get("X-User-Id", "").strip()
    if not caller and provided(Hub).settings.mode == "embedded":
        caller = request.args.get("user", "").strip()
    if not caller:
        raise Problem(401, "Unauthorized", "Send your user id in the X-User-Id header.")
    if caller != user_id:
        raise Problem(403, "Forbidden", "You can only follow your own changes.")
    since_param()


def since_param() -> int | None:
    raw = request.args.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise Problem(400, "Bad Request", "since must be a non-negative integer sequence number.")
    return int(raw)


@sock.route("/ws/<user_id>", bp=websockets)
def websocket(ws: Any, user_id: str) -> None:
    hub, since, client = provided(Hub), since_param(), SimpleSocket(ws)
    with hub.connections.connect(user_id, client) as conn:
        try:
            Stream(client, conn, hub.replay_log, hub.poll_seconds).run(since)
        except (ConnectionClosed, OSError):
            pass
        except Exception:
            log.exception("websocket stream failed", extra={"user_id": user_id})
            client.close(INTERNAL_ERROR, "hub error; reconnect with since")
