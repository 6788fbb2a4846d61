"""`todomesh dev` serves everything on one origin, survives crashes, stops cleanly."""

from __future__ import annotations

import signal

import pytest
import requests

from tests.support.platform import PlatformProcess, audit_types
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
    assert set(ready["apps"]) == {"todo", "hub", "audit", "recurring", "notify"}
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
    platform.api("alice").post("/api/tasks", json={"title": "Before stopping"})
    platform.process.stop(sig, timeout=15)
    log = platform.process.log_text()
    assert "platform stopped" in log
    assert "SIGKILL" not in log
