"""The dead-letter loop in the embedded platform: a poison event reaches todo through the
runtime's dead-letter topic, and a replay sends it round again through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from functions.identity import mint_token
from functions.runtime.platform import Platform
from functions.shared.settings import Settings
from tests.support.envelopes import cloud_event
from tests.support.identity import TEST_ISSUER, TEST_WRITE_LIMIT
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(data_dir=tmp_path / "data", token_issuer=TEST_ISSUER)
    embedded = Platform(settings.replace(rate_limit_writes=TEST_WRITE_LIMIT))
    embedded.start()
    yield embedded
    embedded.stop()


def bearer(platform: Platform, user: str, admin: bool = False) -> dict[str, str]:
    """A token of the platform's own provider (it made its key in its data directory)."""
    return {"Authorization": f"Bearer {mint_token(platform.settings.data_dir, user, admin)}"}


def poison_event() -> dict[str, Any]:
    """A task event of an unknown major version: audit answers DROP."""
    task_id = str(uuid.uuid4())
    return cloud_event("task.updated", task_id, "alice", {"id": task_id}, schema_version="9.0")


def test_a_dropped_event_is_kept_by_todo_and_a_replay_sends_it_round_again(
    platform: Platform,
) -> None:
    client = Client(platform.wsgi)
    admin = bearer(platform, "root", admin=True)
    poison = poison_event()
    platform.broker.publish("pubsub", "task-events", poison, poison["subject"])

    def dead(times: int) -> Any:
        items = client.get("/api/admin/dead-letters", headers=admin).get_json()["items"]
        return (
            items
            if items and items[0]["state"] == "dead" and items[0]["times_dead"] == times
            else None
        )

    [letter] = wait_for(lambda: dead(1), "todo to keep the dead letter")
    assert (letter["topic"], letter["event_id"]) == ("task-events-dlq", poison["id"])
    assert letter["partition_key"] == poison["subject"]

    replayed = client.post(f"/api/admin/dead-letters/{letter['id']}/replay", headers=admin)
    assert replayed.status_code == 202

    # Published again on task-events, dropped again by audit, back in todo's keeping.
    [back] = wait_for(lambda: dead(2), "the replayed poison event to come back")
    assert (back["id"], back["replays"]) == (letter["id"], 1)
    published = [m.envelope["id"] for m in platform.broker.messages("task-events")]
    assert published == [poison["id"], poison["id"]]
    trail = client.get("/api/audit/alice", headers=bearer(platform, "alice")).get_json()
    assert trail["items"] == []
