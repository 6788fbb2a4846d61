"""The self-hosted platform starts and a task reaches the audit trail through Kafka."""

from __future__ import annotations

import pytest
import requests

from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_a_task_travels_through_dapr_and_kafka_to_the_audit_trail(selfhosted) -> None:
    platform = selfhosted()
    todo, audit = platform.members["todo"].url, platform.members["audit"].url
    user = {"Authorization": f"Bearer {platform.identity.token('smoke-user')}"}
    created = requests.post(
        f"{todo}/api/tasks", json={"title": "over Kafka"}, headers=user, timeout=10
    )
    assert created.status_code == 201
    task_id = created.json()["id"]
    items = wait_for(
        lambda: requests.get(
            f"{audit}/api/audit/smoke-user/task/{task_id}", headers=user, timeout=10
        ).json()["items"],
        "the task's creation in the audit trail",
        timeout=30,
    )
    assert [i["event_type"] for i in items] == ["task.created"]


def test_a_forged_user_header_is_no_identity(selfhosted) -> None:
    platform = selfhosted(app_ids=("todo", "audit"))
    todo, audit = platform.members["todo"].url, platform.members["audit"].url
    forged = {"X-User-Id": "alice", "X-User-Role": "admin"}
    for response in (
        requests.post(f"{todo}/api/tasks", json={"title": "mine?"}, headers=forged, timeout=10),
        requests.get(f"{todo}/api/admin/dead-letters", headers=forged, timeout=10),
        requests.get(f"{audit}/api/audit/alice", headers=forged, timeout=10),
    ):
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_reaches_an_app_or_sidecar_log(selfhosted) -> None:
    platform = selfhosted(app_ids=("todo", "audit"))
    token = platform.identity.token("logged-user")
    bearer = {"Authorization": f"Bearer {token}"}
    todo, audit = platform.members["todo"], platform.members["audit"]
    created = requests.post(
        f"{todo.url}/api/tasks", json={"title": "quiet"}, headers=bearer, timeout=10
    )
    assert created.status_code == 201
    wait_for(
        lambda: requests.get(
            f"{audit.url}/api/audit/logged-user", headers=bearer, timeout=10
        ).json()["items"],
        "the record in the audit trail",
        timeout=30,
    )
    logs = [m.app.log_text() + m.sidecar.log_text() for m in platform.members.values()]
    sidecar_tokens = {m.sidecar.api_headers["dapr-api-token"] for m in platform.members.values()}
    app_tokens = {m.app.env["APP_API_TOKEN"] for m in platform.members.values() if m.app.env}
    for secret in {token, *sidecar_tokens, *app_tokens}:
        assert not any(secret in text for text in logs), f"{secret[:8]}... is in a log"
