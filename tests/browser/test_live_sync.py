"""Live sync: two tabs of one user in step both ways, other users' tabs untouched; after
the platform restarts the page reconnects from its last `seq` and shows what changed
while it was away; an expired token on the socket (4401) is renewed without a reload."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import WebSocket, expect

from functions.launcher.processes import wait_until
from tests.support.browser import PLATFORM_ENV, TIMEOUT_MS, Api, Tabs, live, row, title_of
from tests.support.platform import PlatformProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def own_platform(tmp_path: Path) -> Iterator[Callable[..., PlatformProcess]]:
    """`own_platform(**env)`: a started platform of this test's alone (it may restart it)."""
    started: list[PlatformProcess] = []

    def start(**env: str) -> PlatformProcess:
        server = PlatformProcess(tmp_path / f"data{len(started)}", env={**PLATFORM_ENV, **env})
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def test_two_tabs_stay_in_step_both_ways(open_tab: Tabs, user: str) -> None:
    tab1, tab2 = open_tab(user), open_tab(user)
    stranger = open_tab(f"other-{user}", context=open_tab.new_context())
    for tab in (tab1, tab2, stranger):
        tab.get_by_role("link", name="All").click()

    tab1.get_by_label("Add a task").fill("Buy milk #shop")
    tab1.get_by_role("button", name="Add", exact=True).click()
    expect(row(tab2, "Buy milk")).to_contain_text("#shop")

    title_of(tab2, "Buy milk").click()
    dialog = tab2.get_by_role("dialog", name="Edit “Buy milk”")
    dialog.get_by_label("Title").fill("Buy oat milk")
    dialog.get_by_role("button", name="Save").click()
    expect(row(tab1, "Buy oat milk")).to_be_visible()

    row(tab2, "Buy oat milk").get_by_role("button", name="Complete “Buy oat milk”").click()
    expect(row(tab1, "Buy oat milk")).to_have_count(0, timeout=TIMEOUT_MS)  # after its undo time
    tab1.get_by_role("link", name="Completed").click()
    row(tab1, "Buy oat milk").get_by_role("button", name="Reopen “Buy oat milk”").click()
    expect(row(tab2, "Buy oat milk")).to_be_visible()

    tab1.get_by_role("link", name="All").click()
    row(tab1, "Buy oat milk").get_by_role("button", name="Delete “Buy oat milk”").click()
    expect(row(tab2, "Buy oat milk")).to_have_count(0, timeout=TIMEOUT_MS)

    tab2.get_by_label("Add a task").fill("Last one")
    tab2.get_by_role("button", name="Add", exact=True).click()
    expect(row(tab1, "Last one")).to_be_visible()
    seq = tab1.locator("#connection").get_attribute("data-seq")
    expect(tab2.locator("#connection")).to_have_attribute("data-seq", seq or "")
    expect(stranger.locator("#list li.task")).to_have_count(0)


def test_the_page_resumes_after_a_restart_with_what_changed_meanwhile(
    open_tab: Tabs,
    own_platform: Callable[..., PlatformProcess],
    api: Callable[..., Api],
    user: str,
) -> None:
    platform = own_platform()
    client = api(user, platform)
    window = open_tab.new_context()
    page = open_tab(user, context=window, platform=platform)
    heard: list[tuple[str, list[dict]]] = []  # each new socket's URL and what it received
    page.on("websocket", lambda ws: _listen(ws, heard))
    page.evaluate("window.__same_page = true")
    page.get_by_role("link", name="All").click()
    ready_seq = int(live(page).locator("#connection").get_attribute("data-seq") or 0)
    before = client.task(title="Before the restart")
    expect(row(page, "Before the restart")).to_be_visible()
    # The row may come from the view's own fetch before the hub's message: wait for that.
    seq = str(ready_seq + 1)
    expect(page.locator("#connection")).to_have_attribute("data-seq", seq)

    window.set_offline(True)  # the page cannot reconnect until the test says so
    platform.stop()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    platform.start()
    client.task(title="Made while away")
    client.post(f"/api/tasks/{before['id']}/complete").raise_for_status()
    # Another window, online, shows when the hub has both changes in its log.
    observer = open_tab(user, context=open_tab.new_context(), platform=platform)
    expect(observer.locator("#connection")).to_have_attribute("data-seq", str(ready_seq + 3))
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    assert all(not frames for _, frames in heard), "the page heard the hub while offline"

    window.set_offline(False)
    live(page)
    expect(row(page, "Made while away")).to_be_visible()
    expect(row(page, "Before the restart")).to_have_count(0)
    assert page.evaluate("window.__same_page") is True, "no reload"
    (url, frames), *_ = [(url, frames) for url, frames in heard if frames]
    assert url == f"ws://127.0.0.1:{platform.port}/ws/{user}?since={seq}"
    kinds = [frame["type"] for frame in frames]
    assert kinds[: kinds.index("ready")] == ["task.created", "task.completed"], kinds


def _listen(ws: WebSocket, heard: list[tuple[str, list[dict]]]) -> None:
    frames: list[dict] = []
    heard.append((ws.url, frames))
    ws.on("framereceived", lambda frame: frames.append(json.loads(frame)))


def test_a_resync_reloads_what_the_hub_no_longer_keeps(
    open_tab: Tabs,
    own_platform: Callable[..., PlatformProcess],
    api: Callable[..., Api],
    user: str,
) -> None:
    platform = own_platform(TODOMESH_HUB_RETENTION_SECONDS="2")  # the hub forgets fast
    window = open_tab.new_context()
    page = open_tab(user, context=window, platform=platform)
    heard: list[tuple[str, list[dict]]] = []
    page.on("websocket", lambda ws: _listen(ws, heard))
    page.evaluate("window.__same_page = true")
    page.get_by_role("link", name="All").click()
    window.set_offline(True)
    platform.stop()
    platform.start()
    client = api(user, platform)
    for title in ("Forgotten one", "Forgotten two"):
        client.task(title=title)
    wait_until(lambda: _pruned(client) >= 2, what="the hub pruning its replay log")

    window.set_offline(False)
    live(page)
    expect(page.locator("#list li.task .title")).to_have_text(["Forgotten one", "Forgotten two"])
    assert page.evaluate("window.__same_page") is True, "no reload of the page, only of its data"
    kinds = [frame["type"] for _, frames in heard for frame in frames]
    assert kinds[:2] == ["resync", "ready"], kinds


def _pruned(client: Api) -> float:
    metrics = client.get("/metrics").text
    # `todomesh dev` prunes in its consumer process: the sample has `process="consumers"`
    found = re.findall(r"^todomesh_hub_replay_pruned_total(?:\{.*\})? (\S+)$", metrics, re.M)
    return sum(map(float, found))


def test_an_expired_token_on_the_socket_is_renewed_and_the_stream_resumes(
    open_tab: Tabs,
    own_platform: Callable[..., PlatformProcess],
    api: Callable[..., Api],
    user: str,
) -> None:
    platform = own_platform(TODOMESH_TOKEN_TTL_SECONDS="12")
    page = open_tab(user, context=open_tab.new_context(), platform=platform)
    renewals: list[str] = []
    page.on("request", lambda r: "refresh_token" in (r.post_data or "") and renewals.append(r.url))
    page.get_by_role("link", name="All").click()
    # The token lives 12 s: the page renews it before it ends, the hub closes the socket
    # that still carries the old one with 4401, and the page reconnects with `since`.
    socket = page.wait_for_event("websocket", timeout=30_000)
    assert "?since=" in socket.url
    live(page)
    expect(page.locator("#connection")).to_have_attribute("data-last-close", "4401")
    assert renewals, "the token was renewed with the refresh token"
    api(user, platform).task(title="After the renewal")
    expect(row(page, "After the renewal")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
