"""The chat and the MCP server on a real `todomesh dev`: the specification's story through
the whole platform, recurring tasks through the chat, and an MCP client from the SDK."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.support.platform import PlatformProcess, audit_types
from tests.support.stories import all_tasks, changes, occurrence, ok
from tests.support.tracker import Tracker
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
ZONE = "Europe/Berlin"


def say(platform: PlatformProcess, message: str, user: str = "alice") -> dict[str, Any]:
    body = {"message": message, "timezone": ZONE}
    return ok(platform.api(user).post("/api/chat", json=body))


def test_add_task_through_chat_reaches_the_audit_trail_and_the_open_websocket(
    platform: PlatformProcess, track: Tracker
) -> None:
    ws, _ = track.hub(platform.url, "alice", platform.token("alice"))
    answer = say(platform, "Add task: Buy groceries tomorrow 5pm #home p1")
    task = answer["actions"][0]["result"]
    tomorrow = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)
    five_pm = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 17, tzinfo=ZoneInfo(ZONE))
    stored = ok(platform.api("alice").get(f"/api/tasks/{task['id']}"))
    assert (stored["title"], stored["tags"], stored["priority"]) == (
        "Buy groceries",
        ["home"],
        "high",
    )
    assert datetime.fromisoformat(stored["due_date"]) == five_pm.astimezone(UTC)
    [pushed] = changes(ws, 1)
    assert (pushed["type"], pushed["task_id"]) == ("task.created", task["id"])
    wait_for(
        lambda: audit_types(platform, "alice", task["id"]),
        "task.created in the audit trail",
        until=lambda types: types == ["task.created"],
    )


def test_completing_a_recurring_task_through_chat_creates_the_next_occurrence(
    platform: PlatformProcess,
) -> None:
    root = say(platform, "Water the plants every day at 8am")["actions"][0]["result"]
    say(platform, "show my tasks")
    assert say(platform, "complete 1")["actions"][0]["tool"] == "complete_tasks"
    second = occurrence(platform.api("alice"), root, 2)
    zone = ZoneInfo(ZONE)
    first_due, second_due = (
        datetime.fromisoformat(task["due_date"]).astimezone(zone) for task in (root, second)
    )
    # the next day at 8 am on the wall clock: 23 or 25 hours later across a DST switch
    assert second_due.date() - first_due.date() == timedelta(days=1)
    assert second_due.time() == first_due.time()


def test_every_bang_recurs_from_the_day_it_is_completed(platform: PlatformProcess) -> None:
    root = say(platform, "Stretch every! 3 days starting jan 27 2027")["actions"][0]["result"]
    assert root["repeat_from"] == "completion" and root["due_date"].startswith("2027-01-2")
    say(platform, "show my tasks")
    before = datetime.now(ZoneInfo(ZONE)).date()
    say(platform, "complete 1")
    second = occurrence(platform.api("alice"), root, 2)
    after = datetime.now(ZoneInfo(ZONE)).date()  # the same day, unless midnight passed
    due_on = datetime.fromisoformat(second["due_date"]).astimezone(ZoneInfo(ZONE)).date()
    assert due_on in {before + timedelta(days=3), after + timedelta(days=3)}


async def _mcp(url: str, token: str | None, steps: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await steps(session)


def test_an_mcp_client_adds_finds_completes_and_deletes_with_a_token(
    platform: PlatformProcess,
) -> None:
    async def steps(session: ClientSession) -> dict[str, Any]:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        added = await session.call_tool(
            "add_tasks", {"tasks": [{"title": "Renew passport", "due_string": "next friday"}]}
        )
        task_id = added.structured_content["results"][0]["task"]["id"]
        found = await session.call_tool("find_tasks", {"text": "passport"})
        done = await session.call_tool("complete_tasks", {"ids": [task_id]})
        gone = await session.call_tool("delete_tasks", {"ids": [task_id]})
        after = await session.call_tool("find_tasks", {"text": "passport"})
        return {
            "tools": tools,
            "found": found,
            "done": done,
            "gone": gone,
            "after": after,
            "id": task_id,
        }

    seen = asyncio.run(_mcp(platform.url, platform.token("alice"), steps))
    tools = seen["tools"]
    assert set(tools) >= {
        "add_tasks", "find_tasks", "find_tasks_by_date", "update_tasks", "complete_tasks",
        "reopen_tasks", "reschedule_tasks", "delete_tasks", "set_reminder", "get_overview",
        "quick_add", "parse_preview",
    }  # fmt: skip
    assert tools["find_tasks"].annotations.read_only_hint is True
    assert tools["delete_tasks"].annotations.destructive_hint is True
    assert tools["add_tasks"].annotations.destructive_hint is False
    assert [t["id"] for t in seen["found"].structured_content["tasks"]] == [seen["id"]]
    assert seen["done"].structured_content["results"][0]["task"]["status"] == "complete"
    assert seen["gone"].structured_content["succeeded"] == 1
    assert seen["after"].structured_content["tasks"] == []
    wait_for(
        lambda: audit_types(platform, "alice", seen["id"]),
        "the MCP changes in the audit trail",
        until=lambda t: t == ["task.created", "task.completed", "task.deleted"],
    )


def test_mcp_without_a_token_is_401_with_the_resource_metadata(platform: PlatformProcess) -> None:
    response = requests.post(f"{platform.url}/mcp", json={}, timeout=10)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    metadata_url = f"{platform.url}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in challenge
    metadata = requests.get(metadata_url, timeout=10).json()
    assert metadata["resource"] == f"{platform.url}/mcp"
    assert metadata["authorization_servers"] == [platform.url]
    issuer = requests.get(f"{platform.url}/.well-known/openid-configuration", timeout=10).json()
    assert issuer["issuer"] == platform.url


def test_mcp_acts_as_the_tokens_user_only(platform: PlatformProcess) -> None:
    ok(platform.api("alice").post("/api/tasks", json={"title": "Alice's plan"}), 201)

    async def look(session: ClientSession) -> Any:
        return await session.call_tool("find_tasks", {})

    bobs = asyncio.run(_mcp(platform.url, platform.token("bob"), look))
    assert bobs.structured_content["tasks"] == []
    alices = asyncio.run(_mcp(platform.url, platform.token("alice"), look))
    assert [t["title"] for t in alices.structured_content["tasks"]] == ["Alice's plan"]
    assert [t["title"] for t in all_tasks(platform.api("bob"))] == []
