"""The self-hosted platform starts and a task reaches the audit trail through Kafka."""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.integration


def test_a_task_travels_through_dapr_and_kafka_to_the_audit_trail(selfhosted) -> None:
    platform = selfhosted()
    todo, audit = platform.members["todo"].url, platform.members["audit"].url
    user = {"X-User-Id": "smoke-user"}
    created = requests.post(f"{todo}/api/tasks", json={"title": "over Kafka"}, headers=user)
    assert created.status_code == 201
    task_id = created.json()["id"]
    deadline = time.monotonic() + 30
    items: list = []
    while time.monotonic() < deadline and not items:
        items = requests.get(f"{audit}/api/audit/smoke-user/task/{task_id}", headers=user).json()[
            "items"
        ]
        time.sleep(0.2)
    assert [i["event_type"] for i in items] == ["task.created"]
