"""The platform from the image, each app in a podman pod beside its daprd.

What a pod proves here: the image runs every app non-root; app and sidecar find
each other on the pod's own localhost, as with Dapr's injector in a cluster; each
sidecar loads the components and subscriptions of `dapr/` scoped to its app; the
probes answer; and a consumer's pod killed with a backlog loses none of it. The
user stories run on these pods too (test_user_stories_dapr.py, `each_platform`).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from functions.emit import http_delivery
from functions.launcher.pod import AppPod
from functions.launcher.podman import podman
from functions.launcher.pods import APP_UID, DAPRD_UID, PodPlatform
from tests.support.functions import contract_event
from tests.support.stories import ok
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.pods,
    pytest.mark.parametrize("selfhosted", ["pods"], indirect=True),
]
log = logging.getLogger(__name__)
APPS = ("todo", "hub", "audit", "recurring", "notify")


class Api(requests.Session):
    """requests to one app as one user, with a bearer token of the platform's provider."""

    def __init__(self, platform: PodPlatform, app_id: str, user: str) -> None:
        super().__init__()
        self.base = platform.members[app_id].url
        self.headers["Authorization"] = f"Bearer {platform.identity.token(user)}"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base + url, *args, **kwargs)


def uids(pod: AppPod, container: str) -> list[int]:
    """Real, effective, saved and filesystem uid of the container's PID 1."""
    status = podman("exec", f"{pod.name}-{container}", "cat", "/proc/1/status").stdout
    line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return [int(uid) for uid in line.split()[1:]]


def scoped(resources: Path, kind: str, app_id: str) -> list[dict[str, Any]]:
    """The rendered resources of `kind` that `app_id`'s sidecar should load."""
    found = []
    for path in sorted(resources.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == kind and app_id in doc.get("scopes", [app_id]):
                found.append(doc)
    return found


def sidecar_metadata(platform: PodPlatform, pod: AppPod) -> dict[str, Any]:
    headers = {"dapr-api-token": platform.tokens["DAPR_API_TOKEN"]}
    return ok(requests.get(f"{pod.sidecar_url}/v1.0/metadata", headers=headers, timeout=10))


def test_each_app_runs_in_its_pod_beside_its_sidecar(selfhosted, record_property) -> None:
    platform: PodPlatform = selfhosted()
    resources = platform.work_dir / "resources"
    started = {name: round(pod.ready_seconds, 2) for name, pod in platform.members.items()}
    record_property("pod_ready_seconds", started)
    log.warning("process start to /ready in each pod (s): %s", started)
    for app_id in APPS:
        pod = platform.members[app_id]
        assert isinstance(pod, AppPod)
        assert ok(requests.get(f"{pod.url}/health", timeout=5)) == {"status": "ok"}
        assert ok(requests.get(f"{pod.url}/ready", timeout=5))["checks"]["database"] == "ok"
        assert (uids(pod, "app"), uids(pod, "daprd")) == ([APP_UID] * 4, [DAPRD_UID] * 4)
        # the app reaches its sidecar on the pod's localhost, as in a cluster
        probe = "import urllib.request as u; print(u.urlopen('http://127.0.0.1:3500/v1.0/healthz').status)"
        assert podman("exec", f"{pod.name}-app", "python3", "-c", probe).stdout.strip() == "204"

        metadata = sidecar_metadata(platform, pod)
        assert metadata["id"] == app_id
        loaded = {c["name"] for c in metadata["components"]}
        assert loaded == {c["metadata"]["name"] for c in scoped(resources, "Component", app_id)}
        subscribed = {(s["pubsubname"], s["topic"]) for s in metadata.get("subscriptions", [])}
        declared = scoped(resources, "Subscription", app_id)
        assert subscribed == {(s["spec"]["pubsubname"], s["spec"]["topic"]) for s in declared}


def audit_trail(audit: Api, user: str) -> list[dict[str, Any]]:
    return ok(audit.get(f"/api/audit/{user}", params={"limit": 200}))["items"]


def test_a_consumer_pod_killed_with_a_backlog_processes_every_event_once(selfhosted) -> None:
    platform: PodPlatform = selfhosted(app_ids=("todo", "audit"))
    query = platform.add_query_half("audit")  # as audit-api runs: no sidecar, TODOMESH_ROLE=query
    assert query.containers == ("app",)
    user = f"ann-{uuid.uuid4().hex[:8]}"
    todo, audit = Api(platform, "todo", user), Api(platform, "audit-api", user)
    pod = platform.members["audit"]
    assert isinstance(pod, AppPod)

    before = [ok(todo.post("/api/tasks", json={"title": f"before {n}"}), 201) for n in range(20)]
    wait_for(lambda: audit_trail(audit, user), "audit consuming the first tasks", timeout=60)
    pod.kill()  # while it works through the first twenty
    assert not pod.running("app") and not pod.running("daprd")
    during = [ok(todo.post("/api/tasks", json={"title": f"during {n}"}), 201) for n in range(20)]
    assert len(audit_trail(audit, user)) < 40  # the query half answers while the consumer is down
    pod.restart()

    created = {task["id"] for task in before + during}
    trail = wait_for(
        lambda: audit_trail(audit, user),
        "every task in the trail",
        until=lambda trail: len(trail) >= len(created),
        timeout=90,
    )
    assert Counter(r["event_id"] for r in trail).most_common(1)[0][1] == 1
    assert sorted(r["task_id"] for r in trail) == sorted(created)
    assert {r["event_type"] for r in trail} == {"task.created"}
    headers, body = http_delivery(contract_event("task.created", user_id=user), topic="task-events")
    refused = requests.post(f"{query.url}/events/task-events", body, headers=headers, timeout=10)
    assert refused.status_code == 404  # the query half takes no delivery
