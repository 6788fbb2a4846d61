"""The hub end to end: `todomesh dev` (gunicorn, every app, the embedded runtime) on a real
port; changes made through the REST API reach real WebSocket clients."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import pytest
import websocket

from tests.support.platform import PlatformProcess, consumer_process
from tests.support.stories import changes
from tests.support.tracker import Tracker

pytestmark = pytest.mark.e2e


@pytest.fixture
def hub(platform: PlatformProcess, track: Tracker) -> Callable[..., tuple[Any, list[Any]]]:
    """`hub(user, **query)`: a subscribed client of the platform's hub (it has seen `ready`)
    and what came up to `ready`, inclusive; closed after the test."""
    return lambda user, **query: track.hub(platform.url, user, platform.token(user), **query)


def call(platform: PlatformProcess, user: str, method: str, path: str, **kwargs: Any) -> Any:
    response = platform.api(user).request(method, path, **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def test_changes_made_through_the_api_reach_every_client_of_the_user_only(
    platform: PlatformProcess, hub: Callable[..., tuple[Any, list[Any]]]
) -> None:
    (a1, _), (a2, _), (b, _) = hub("ann"), hub("ann"), hub("bob")
    task = call(platform, "ann", "POST", "/api/tasks", json={"title": "Buy milk"})
    first = [changes(ws, 1)[0] for ws in (a1, a2)]
    assert first[0] == first[1]
    assert (first[0]["type"], first[0]["task_id"]) == ("task.created", task["id"])
    assert first[0]["payload"]["title"] == "Buy milk"

    call(platform, "ann", "PATCH", f"/api/tasks/{task['id']}", json={"title": "Buy oat milk"})
    call(platform, "ann", "POST", f"/api/tasks/{task['id']}/complete")
    call(platform, "ann", "DELETE", f"/api/tasks/{task['id']}")
    for ws in (a1, a2):
        rest = changes(ws, 3)
        assert [m["type"] for m in rest] == ["task.updated", "task.completed", "task.deleted"]
        assert [m["seq"] for m in rest] == [first[0]["seq"] + i for i in (1, 2, 3)]
        assert rest[0]["payload"]["title"] == "Buy oat milk"

    own = call(platform, "bob", "POST", "/api/tasks", json={"title": "Bob's"})
    (mine,) = changes(b, 1)  # had bob been sent ann's changes, they would come first
    assert (mine["task_id"], mine["seq"]) == (own["id"], 1)


def test_a_client_that_reconnects_with_since_gets_exactly_what_it_missed(
    platform: PlatformProcess, hub: Callable[..., tuple[Any, list[Any]]]
) -> None:
    ws, _ = hub("ann")
    task = call(platform, "ann", "POST", "/api/tasks", json={"title": "Water plants"})
    (seen,) = changes(ws, 1)
    ws.close()

    call(platform, "ann", "PATCH", f"/api/tasks/{task['id']}", json={"priority": "high"})
    other = call(platform, "ann", "POST", "/api/tasks", json={"title": "Call mum"})
    call(platform, "ann", "POST", f"/api/tasks/{task['id']}/complete")

    again, replayed = hub("ann", since=seen["seq"])
    missed = [m for m in replayed if m["type"] != "ready"]  # what the log had by then,
    missed += changes(again, 3 - len(missed))  # and the rest live, as the hub records it
    assert [(m["seq"], m["type"], m["task_id"]) for m in missed] == [
        (seen["seq"] + 1, "task.updated", task["id"]),
        (seen["seq"] + 2, "task.created", other["id"]),
        (seen["seq"] + 3, "task.completed", task["id"]),
    ]
    call(platform, "ann", "DELETE", f"/api/tasks/{other['id']}")
    (live,) = changes(again, 1)  # no duplicate of the replay comes before it
    assert (live["seq"], live["type"]) == (seen["seq"] + 4, "task.deleted")


def test_a_hub_restart_says_going_away_and_keeps_the_replay_log(
    platform: PlatformProcess, hub: Callable[..., tuple[Any, list[Any]]]
) -> None:
    ws, _ = hub("ann")
    for title in ("One", "Two"):
        call(platform, "ann", "POST", "/api/tasks", json={"title": title})
    before = changes(ws, 2)

    platform.stop(signal.SIGTERM)
    opcode, data = ws.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(data[:2], "big") == 1001

    platform.start()
    _, replay = hub("ann", since=0)
    assert [(m["seq"], m["event_id"]) for m in replay[:-1]] == [
        (m["seq"], m["event_id"]) for m in before
    ]
    assert replay[-1] == {**replay[-1], "type": "ready", "seq": before[-1]["seq"]}


def test_a_client_keeps_getting_changes_across_a_restart_of_the_consumer_process(
    platform: PlatformProcess, hub: Callable[..., tuple[Any, list[Any]]]
) -> None:
    """The hub records in the consumer process and pushes from the server, which holds the
    clients (functions.hub.follow): a change made while that process is down reaches a
    client that stayed connected once it is back."""
    ws, _ = hub("ann")
    call(platform, "ann", "POST", "/api/tasks", json={"title": "Before"})
    (before,) = changes(ws, 1)
    first = consumer_process(platform)
    first.kill()
    first.wait(10)
    task = call(platform, "ann", "POST", "/api/tasks", json={"title": "While it was down"})
    (after,) = changes(ws, 1)  # within the client's timeout, the process started again
    assert (after["seq"], after["task_id"]) == (before["seq"] + 1, task["id"])
    assert consumer_process(platform).pid != first.pid
