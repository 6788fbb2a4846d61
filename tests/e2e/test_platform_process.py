"""`todomesh dev` serves everything on one origin, survives crashes, stops cleanly."""

from __future__ import annotations

import os
import signal

import psutil
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from functions.hub import follow
from functions.runtime.platform import CONSUMERS, FRONT, Platform
from functions.shared.settings import Settings
from tests.support.identity import TEST_ISSUER
from tests.support.platform import (
    PlatformProcess,
    audit_types,
    consumer_process,
    events_handled,
    gone,
)
from tests.support.stories import ok
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_the_run_command_serves_api_page_and_probes_on_one_origin(platform) -> None:
    alice = platform.api("alice")
    created = alice.post("/api/tasks", json={"title": "Buy milk"})
    assert created.status_code == 201
    task_id = created.json()["id"]
    assert alice.get(f"/api/tasks/{task_id}").json()["title"] == "Buy milk"
    wait_for(
        lambda: audit_types(platform, "alice", task_id),
        "the creation in the audit trail",
        until=lambda types: types == ["task.created"],
    )
    page = requests.get(f"{platform.url}/", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    ready = requests.get(f"{platform.url}/ready", timeout=5).json()
    # the consumer functions' deliveries run in a second process: ready once it is
    assert set(ready["apps"]) == {"todo", "hub", "audit", "recurring", "notify", "consumers"}
    assert ready["apps"]["consumers"] == {"status": "ready"}
    assert "todomesh_http_requests_total" in requests.get(f"{platform.url}/metrics").text
    assert requests.get(f"{platform.url}/openapi.json").json()["openapi"].startswith("3.1")
    for sidecar_only in ("/events/task-updates", "/reminder-sweep", "/job/reminder-x"):
        assert requests.post(f"{platform.url}{sidecar_only}", json={}).status_code == 404


@pytest.mark.parametrize("failpoint", ["relay.before_publish", "relay.after_publish"])
def test_a_crash_between_commit_and_publish_loses_and_duplicates_nothing(
    stopped_platform: PlatformProcess, failpoint: str
) -> None:
    stopped_platform.start(TODOMESH_FAILPOINT=failpoint)
    try:
        stopped_platform.api("alice").post("/api/tasks", json={"title": "Survive"})
    except requests.RequestException:
        pass  # the relay, woken by the commit, may kill the server before the 201 is out
    stopped_platform.wait_exit()  # the relay hit the failpoint and the process died
    assert "failpoint reached" in stopped_platform.process.log_text()

    stopped_platform.start(TODOMESH_FAILPOINT="")
    tasks = stopped_platform.api("alice").get("/api/tasks").json()["items"]
    assert [t["title"] for t in tasks] == ["Survive"]  # the commit came before the crash
    task_id = tasks[0]["id"]
    wait_for(lambda: audit_types(stopped_platform, "alice", task_id), "the audit record")
    # the restarted relay published what the crash left and the runtime delivered it all:
    # a duplicate would have reached the audit trail by then
    stopped_platform.wait_quiet("the outbox and the runtime's log drained")
    assert audit_types(stopped_platform, "alice", task_id) == ["task.created"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_server_stops_cleanly_on_a_signal(platform: PlatformProcess, sig: int) -> None:
    consumers = consumer_process(platform)
    platform.api("alice").post("/api/tasks", json={"title": "Before stopping"})
    platform.process.stop(sig, timeout=15)
    log = platform.process.log_text()
    assert "platform stopped" in log
    assert "SIGKILL" not in log
    assert "did not stop in time" not in log  # the consumer process stopped when asked
    assert gone(consumers)


def test_ctrl_c_in_a_terminal_stops_the_server_and_its_consumer_process_in_order(
    platform: PlatformProcess,
) -> None:
    consumers = consumer_process(platform)
    assert platform.process.pid is not None
    os.killpg(platform.process.pid, signal.SIGINT)  # a terminal signals its whole group
    wait_for(lambda: not platform.process.alive, "the server to stop", timeout=30)
    log = platform.process.log_text()
    assert "platform stopped" in log
    assert "did not stop in time" not in log
    assert "starting it again" not in log
    assert gone(consumers)


def test_the_consumer_functions_run_in_a_second_process_started_again_if_it_dies(
    platform: PlatformProcess,
) -> None:
    first = consumer_process(platform)
    first.kill()
    first.wait(10)
    # kept in the log meanwhile, and delivered by the consumer process started in its place
    task = ok(platform.api("alice").post("/api/tasks", json={"title": "While it was down"}), 201)
    wait_for(
        lambda: audit_types(platform, "alice", task["id"]),
        "the creation in the audit trail",
        until=lambda types: types == ["task.created"],
        timeout=30,
    )
    assert consumer_process(platform).pid != first.pid
    assert "the consumer process exited; starting it again" in platform.process.log_text()
    wait_for(
        lambda: requests.get(f"{platform.url}/ready", timeout=5).json()["apps"]["consumers"],
        "the consumer process ready again",
        until=lambda answer: answer == {"status": "ready"},
    )


def test_metrics_show_both_processes_without_a_family_twice(platform: PlatformProcess) -> None:
    ok(platform.api("alice").post("/api/tasks", json={"title": "Counted"}), 201)
    for app in ("audit", "hub"):  # both handled in the consumer process
        wait_for(
            lambda app=app: events_handled(platform, app, "task.created"),
            f"{app} to count the creation",
            until=lambda n: n == 1,
        )
    first, text = (requests.get(f"{platform.url}/metrics", timeout=5).text for _ in range(2))
    names = [family.name for family in text_string_to_metric_families(text)]
    assert len(names) == len(set(names))
    series = [line.rsplit(" ", 1)[0] for line in text.splitlines() if not line.startswith("#")]
    assert len(series) == len(set(series))  # a second scrape adds no series twice
    assert first.count("python_info{") == text.count("python_info{") == 2
    assert 'process_resident_memory_bytes{process="consumers"}' in text
    assert 'app="audit",outcome="processed",process="consumers"' in text
    assert 'app="hub",outcome="processed",process="consumers"' in text


def test_the_consumer_process_ends_with_a_server_that_was_killed(
    stopped_platform: PlatformProcess,
) -> None:
    stopped_platform.start()
    consumers = consumer_process(stopped_platform)
    assert stopped_platform.process.pid is not None
    server = psutil.Process(stopped_platform.process.pid)
    for process in [server, *server.children()]:  # not the consumer process: a grandchild
        process.kill()
    wait_for(lambda: gone(consumers), "the consumer process to end with its server", timeout=30)


def test_one_process_keeps_every_app_in_the_server(tmp_path) -> None:
    server = PlatformProcess(tmp_path / "data", args=("--one-process",)).start()
    try:
        assert server.process.pid is not None
        descendants = psutil.Process(server.process.pid).children(recursive=True)
        assert not [p for p in descendants if "functions.runtime.consumers" in p.cmdline()]
        ready = requests.get(f"{server.url}/ready", timeout=5).json()
        assert set(ready["apps"]) == {"todo", "hub", "audit", "recurring", "notify"}
        task = ok(server.api("alice").post("/api/tasks", json={"title": "All in one"}), 201)
        wait_for(
            lambda: audit_types(server, "alice", task["id"]),
            "the creation in the audit trail",
            until=lambda types: types == ["task.created"],
        )
    finally:
        server.stop()
        server.close_sessions()


def test_a_consumer_process_that_starts_asks_the_server_to_push_each_clients_latest(
    tmp_path,
) -> None:
    """Hints the process before it recorded but never sent (it died between its commit and
    its send) are made good: the new one asks for each connected user's latest message,
    and a stream that lacks the ones before it fills the gap from the log."""
    part = Platform(Settings(data_dir=tmp_path / "data"), part=CONSUMERS)
    keys: list[str] = []
    part.hints = keys.append
    part.start()
    try:
        assert follow.EVERYONE in keys
        assert part.hub is not None and part.hub.elsewhere is not None
    finally:
        part.stop()


def test_a_hint_the_server_cannot_read_leaves_the_link_reading(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = Platform(Settings(data_dir=tmp_path / "data", token_issuer=TEST_ISSUER), part=FRONT)
    woken: list[str] = []
    monkeypatch.setattr(server.runtime, "wake", woken.append)
    try:
        server._on_key("hub:ann:not-a-seq:{}")  # the link's reader calls this: must not raise
        server._on_key("audit/audit-task-events")
    finally:
        server.stop()
    assert woken == ["audit/audit-task-events"]
    assert "an unreadable hub hint" in caplog.text
