"""The hub app served on its own (werkzeug, a real port) with real WebSocket clients."""

from __future__ import annotations

import json
import queue
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import websocket

from functions.hub import create_app
from functions.hub.connections import Connections
from functions.hub.replay import Message
from functions.shared.asgi import AsgiParts, front
from functions.shared.events import Event
from functions.shared.settings import Settings
from functions.shared.wiring import context, provided
from tests.support.asgi_server import serve_asgi
from tests.support.identity import SessionIdentity, identity_settings, token
from tests.support.tracker import Tracker
from tests.support.waiting import wait_for

pytestmark = pytest.mark.functions

CE_JSON = {"Content-Type": "application/cloudevents+json"}


class ServedHub:
    """The hub's ASGI front (WebSockets and the Flask side) served by uvicorn; its clients,
    sockets and threads belong to `track`, which closes them before the server stops."""

    def __init__(self, settings: Settings, stack: ExitStack, track: Tracker) -> None:
        self.app = create_app(settings)
        self.track = track
        ctx = context(self.app)
        asgi = front(self.app, [ctx.get(AsgiParts)], start=ctx.start, stop=ctx.stop)
        self.served = stack.enter_context(serve_asgi(asgi, settings))

    @property
    def port(self) -> int:
        return self.served.port

    @property
    def connections(self) -> Connections:
        return provided(Connections, self.app)

    def url(self, path_user: str, **query: Any) -> str:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return f"ws://127.0.0.1:{self.port}/ws/{path_user}" + (f"?{params}" if params else "")

    def connect(self, user: str, **query: Any) -> Any:
        """A client that has seen `ready` (so it is subscribed); returns (client, ready)."""
        return self.track.hub(self.served.url, user, token(user), **query)

    def deliver(self, event: Event, topic: str = "task-updates") -> None:
        envelope = {**event.to_cloudevent("todo"), "pubsubname": "pubsub-hub"}
        response = self.app.test_client().post(
            f"/events/{topic}", data=json.dumps(envelope), headers=CE_JSON
        )
        assert response.get_json() == {"status": "SUCCESS"}


@pytest.fixture
def serve(tmp_path: Any, track: Tracker) -> Iterator[Callable[..., ServedHub]]:
    with ExitStack() as stack:

        def start(**changes: Any) -> ServedHub:
            settings = identity_settings(Settings(data_dir=tmp_path / "data")).replace(**changes)
            return ServedHub(settings, stack, track)

        try:
            yield start
        finally:
            track.close()  # the clients go before the servers


def count(hub: ServedHub, user: str | None = None) -> Callable[[], int]:
    return lambda: hub.connections.count(user)


def change(user: str, task: str = "t1", kind: str = "task.created") -> Event:
    return Event(kind, task, user, {"id": task, "title": "x" * 10})


def test_refuses_the_upgrade_without_the_right_token(serve: Callable[..., ServedHub]) -> None:
    hub = serve()
    for protocols, url, status in [
        (["bearer", "not-a-jwt"], hub.url("ann"), 401),
        (["bearer", token("bob")], hub.url("ann"), 403),
        (["bearer", token("ann")], hub.url("ann", since="-1"), 400),
    ]:
        with pytest.raises(websocket.WebSocketBadStatusException) as failure:
            hub.track.websocket(url, subprotocols=protocols)
        assert failure.value.status_code == status, (protocols, url)
        if status == 401:
            assert failure.value.resp_headers["www-authenticate"].startswith("Bearer ")


def test_the_hub_answers_the_bearer_subprotocol(serve: Callable[..., ServedHub]) -> None:
    hub = serve()
    ws, _ = hub.connect("ann")
    assert ws.getsubprotocol() == "bearer"


def test_a_token_can_come_as_the_first_message_but_never_in_the_url(
    serve: Callable[..., ServedHub],
) -> None:
    hub = serve(hub_auth_seconds=2.0)  # each refusal below waits at most this long
    ws = hub.track.websocket(hub.url("ann"))
    ws.send(json.dumps({"type": "auth", "token": token("ann")}))
    assert json.loads(ws.recv())["type"] == "ready"
    for first in ({"type": "auth", "token": token("bob")}, {"type": "hello"}, None):
        ws = hub.track.websocket(hub.url("ann", access_token=token("ann"), token=token("ann")))
        if first is not None:
            ws.send(json.dumps(first))
        opcode, data = ws.recv_data(control_frame=True)
        code = int.from_bytes(data[:2], "big")
        assert (opcode, code) == (
            websocket.ABNF.OPCODE_CLOSE,
            4403 if first and "token" in first else 4401,
        )


def test_the_hub_closes_with_4401_when_the_token_expires(serve: Callable[..., ServedHub]) -> None:
    hub = serve()
    short = SessionIdentity.current().token("ann", ttl=2)
    ws, _ = hub.track.hub(hub.served.url, "ann", short)
    opcode, data = ws.recv_data(control_frame=True)  # waits for the expiry: nothing else comes
    assert (opcode, int.from_bytes(data[:2], "big")) == (websocket.ABNF.OPCODE_CLOSE, 4401)
    assert b"expired" in data[2:]


def test_changes_reach_every_client_of_the_user_and_only_them(
    serve: Callable[..., ServedHub],
) -> None:
    hub = serve()
    (a1, _), (a2, _), (b, _) = hub.connect("ann"), hub.connect("ann"), hub.connect("bob")
    hub.deliver(change("ann"))
    hub.deliver(change("bob", "t9"))
    for ws in (a1, a2):
        got = json.loads(ws.recv())
        assert (got["seq"], got["type"], got["task_id"]) == (1, "task.created", "t1")
        assert set(got) == {"seq", "event_id", "type", "task_id", "payload", "time"}
    assert json.loads(b.recv())["task_id"] == "t9"  # bob's first message is bob's own change


def test_a_client_resumes_with_since_and_then_goes_live(serve: Callable[..., ServedHub]) -> None:
    hub = serve()
    for i in range(4):
        hub.deliver(change("ann", f"t{i}"))
    ws, replay = hub.connect("ann", since=1)
    assert [(m["seq"], m["type"]) for m in replay] == [
        (2, "task.created"),
        (3, "task.created"),
        (4, "task.created"),
        (4, "ready"),
    ]
    hub.deliver(change("ann", "t5"))
    assert json.loads(ws.recv())["seq"] == 5


def test_a_client_too_far_behind_is_told_to_resync(serve: Callable[..., ServedHub]) -> None:
    hub = serve(hub_retention_count=2)
    for i in range(5):
        hub.deliver(change("ann", f"t{i}"))
    _, messages = hub.connect("ann", since=1)
    assert [m["type"] for m in messages] == ["resync", "ready"]
    assert messages[0]["seq"] == 5 and "reload" in messages[0]["payload"]["reason"]


def test_a_slow_client_is_dropped_without_stalling_the_others(
    serve: Callable[..., ServedHub],
) -> None:
    hub = serve(hub_queue_size=4)
    quick, _ = hub.connect("ann")
    slow = hub.track.websocket(
        hub.url("ann"),
        subprotocols=["bearer", token("ann")],
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)],
    )
    assert json.loads(slow.recv())["type"] == "ready"  # then it never reads again
    wait_for(count(hub, "ann"), "both clients connected", until=lambda n: n == 2)
    big = "y" * 250_000
    seq = after_overflow = 0
    while after_overflow < 3:  # publish until the slow one overflows, then a few more
        seq += 1
        assert seq <= 100, "the slow client never overflowed"
        text = json.dumps({"seq": seq, "type": "task.updated", "payload": {"blob": big}})
        hub.connections.publish(Message("ann", seq, text))
        assert json.loads(quick.recv())["seq"] == seq
        after_overflow += hub.connections.count("ann") == 1
    slow.sock.settimeout(20)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        while True:  # what was queued, then the close (or an abort) ends it
            if slow.recv_data(control_frame=True)[0] == websocket.ABNF.OPCODE_CLOSE:
                raise ConnectionError("closed by the hub")


def test_dead_connections_are_pinged_and_dropped(serve: Callable[..., ServedHub]) -> None:
    hub = serve(hub_ping_seconds=1.0)  # also the pong timeout: room for a busy reader
    live, _ = hub.connect("ann")
    received: queue.Queue[str] = queue.Queue()
    hub.track.thread(lambda: received.put(live.recv()))  # recv() answers the hub's pings
    raw = hub.track.socket(("127.0.0.1", hub.port))
    raw.sendall(
        b"GET /ws/ann HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Protocol: bearer, " + token("ann").encode() + b"\r\n\r\n"
    )
    assert raw.recv(1024).startswith(b"HTTP/1.1 101")
    wait_for(count(hub, "ann"), "both clients connected", until=lambda n: n == 2)
    wait_for(count(hub, "ann"), "the silent client dropped", until=lambda n: n == 1)
    hub.deliver(change("ann"))
    assert json.loads(received.get(timeout=10))["seq"] == 1  # the answering client stayed


def test_close_all_says_going_away_to_every_client(serve: Callable[..., ServedHub]) -> None:
    hub = serve()
    clients = [hub.connect(user)[0] for user in ("ann", "ann", "bob")]
    assert provided(Connections, hub.app).close_all(1001, timeout=5) == 3
    for ws in clients:
        opcode, data = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(data[:2], "big") == 1001
    wait_for(count(hub), "every stream ended", until=lambda n: n == 0)
