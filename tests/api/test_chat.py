"""`POST /api/chat`: plain language in, the task tools' actions out, the same events as REST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from functions.shared.wiring import context
from functions.todo.tools.toolbox import Clock
from tests.support.api import Api, types_on
from tests.support.identity import As

pytestmark = pytest.mark.api

NOW = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # a Tuesday; Berlin is at UTC+1 until Mar 29
BERLIN = "Europe/Berlin"


@pytest.fixture
def chat(todo_app: Flask, client: FlaskClient) -> Any:
    """`chat(message, user="alice", **body)` -> the reply's JSON (asserted 200), at NOW."""
    context(todo_app).provide(Clock(lambda: NOW))
    conversations: dict[str, str] = {}

    def say(message: str, user: str = "alice", **body: Any) -> dict[str, Any]:
        body = {"message": message, "timezone": BERLIN, **body}
        if user in conversations and "conversation_id" not in body:
            body["conversation_id"] = conversations[user]
        response = client.post("/api/chat", json=body, headers=As(user))
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        conversations[user] = answer["conversation_id"]
        return answer

    return say


def test_the_specifications_story_adds_the_task_with_every_field(
    chat: Any, alice: Api, outbox: Any
) -> None:
    answer = chat("Add task: Buy groceries tomorrow 5pm #home p1")
    [action] = answer["actions"]
    assert action["tool"] == "quick_add"
    task = alice.get(f"/api/tasks/{action['result']['id']}").get_json()
    assert (task["title"], task["due_date"], task["all_day"]) == (
        "Buy groceries",
        "2026-03-11T16:00:00Z",
        False,
    )
    assert (task["tags"], task["priority"], task["timezone"]) == (["home"], "high", BERLIN)
    assert {span["kind"] for span in answer["understood"]} >= {"date", "time", "tag", "priority"}
    assert "Buy groceries" in answer["reply"]
    assert types_on(outbox(), "task-events") == ["task.created"]
    assert types_on(outbox(), "task-updates") == ["task.created"]


def test_a_list_numbers_the_tasks_and_complete_2_completes_the_second(
    chat: Any, alice: Api
) -> None:
    for title in ("Alpha", "Bravo", "Charlie"):
        alice.create(title=title)
    listed = chat("show my tasks")
    assert listed["reply"].splitlines()[1:] == ["1. Alpha", "2. Bravo", "3. Charlie"]
    done = chat("complete 2")
    assert [a["tool"] for a in done["actions"]] == ["complete_tasks"]
    statuses = {t["title"]: t["status"] for t in alice.get("/api/tasks").get_json()["items"]}
    assert statuses == {"Alpha": "pending", "Bravo": "complete", "Charlie": "pending"}


def test_an_ambiguous_delete_asks_and_changes_nothing_until_answered(
    chat: Any, alice: Api, outbox: Any
) -> None:
    first, second = alice.create(title="Call mum"), alice.create(title="Call mum back")
    events_before = len(outbox())
    asked = chat("delete call")
    assert asked["actions"] == []
    assert "Which one?" in asked["reply"] and "Call mum back" in asked["reply"]
    assert len(outbox()) == events_before, "no event for an unclear request"
    ids = {t["id"] for t in alice.get("/api/tasks").get_json()["items"]}
    assert ids == {first["id"], second["id"]}
    answered = chat("2")  # the candidates, as listed: Call mum, Call mum back
    assert [a["tool"] for a in answered["actions"]] == ["delete_tasks"]
    remaining = [t["title"] for t in alice.get("/api/tasks").get_json()["items"]]
    assert remaining == ["Call mum"]


def test_an_ambiguous_complete_by_title_changes_nothing(chat: Any, alice: Api, outbox: Any) -> None:
    alice.create(title="Pay rent")
    alice.create(title="Pay rent reminder")
    before = (len(outbox()), [t["status"] for t in alice.get("/api/tasks").get_json()["items"]])
    assert chat("complete pay")["actions"] == []
    after = (len(outbox()), [t["status"] for t in alice.get("/api/tasks").get_json()["items"]])
    assert after == before


def test_what_is_not_understood_gets_examples_and_does_nothing(chat: Any, outbox: Any) -> None:
    for message in ("Do you have a car?", "hello"):
        answer = chat(message)
        assert answer["actions"] == [] and "I understand things like" in answer["reply"]
    assert outbox() == []


def test_move_keeps_the_time_of_day_and_the_recurrence(chat: Any, alice: Api) -> None:
    chat("Water plants every monday at 9am")
    chat("show my tasks")
    moved = chat("move 1 to friday")
    [action] = moved["actions"]
    assert action["tool"] == "reschedule_tasks"
    task = action["result"]["results"][0]["task"]
    assert (task["due_date"], task["recurrence"]) == (
        "2026-03-13T08:00:00Z",
        "FREQ=WEEKLY;BYDAY=MO",
    )


def test_remind_and_repeat_change_the_task_the_number_means(chat: Any, alice: Api) -> None:
    alice.create(title="Stretch", due_date="2026-03-12T18:00:00Z")
    chat("list pending")
    reminded = chat("remind me about 1 in 1 hour")["actions"][0]["result"]
    assert reminded["reminder_time"] == (NOW + timedelta(hours=1)).isoformat().replace(
        "+00:00", "Z"
    )
    repeated = chat("make 1 repeat every! 3 days")["actions"][0]["result"]["results"][0]["task"]
    assert (repeated["recurrence"], repeated["repeat_from"]) == (
        "FREQ=DAILY;INTERVAL=3",
        "completion",
    )


def test_reopen_by_title_finds_only_completed_tasks(chat: Any, alice: Api, outbox: Any) -> None:
    task = alice.create(title="File taxes")
    alice.post(f"/api/tasks/{task['id']}/complete")
    answer = chat("reopen file taxes")
    assert [a["tool"] for a in answer["actions"]] == ["reopen_tasks"]
    assert alice.get(f"/api/tasks/{task['id']}").get_json()["status"] == "pending"
    assert types_on(outbox(), "task-events")[-1] == "task.reopened"


def test_the_stored_time_zone_answers_when_the_request_has_none(
    chat: Any, client: FlaskClient
) -> None:
    response = client.put("/api/settings", json={"timezone": "Asia/Kolkata"}, headers=As("dana"))
    assert response.get_json() == {"timezone": "Asia/Kolkata"}
    answer = chat("Add call the bank tomorrow 9am", user="dana", timezone=None)
    assert answer["actions"][0]["result"]["due_date"] == "2026-03-11T03:30:00Z"
    bad = client.put("/api/settings", json={"timezone": "Mars/Olympus"}, headers=As("dana"))
    assert bad.status_code == 422


def test_a_conversation_belongs_to_its_user(chat: Any, client: FlaskClient) -> None:
    mine = chat("show my tasks")["conversation_id"]
    response = client.post(
        "/api/chat", json={"message": "complete 1", "conversation_id": mine}, headers=As("bob")
    )
    assert response.status_code == 404
    assert response.get_json() == client.post(
        "/api/chat",
        json={"message": "complete 1", "conversation_id": "no-such-conversation"},
        headers=As("bob"),
    ).get_json() | {"detail": response.get_json()["detail"]}


def test_chat_refuses_a_bad_body_and_a_missing_token(client: FlaskClient) -> None:
    assert client.post("/api/chat", json={"message": "hi"}).status_code == 401
    for body in ({}, {"message": ""}, {"message": "x" * 2001}, {"message": "hi", "extra": 1}):
        response = client.post("/api/chat", json=body, headers=As("alice"))
        assert response.status_code == 422, body


def test_the_preview_shows_what_quick_add_would_create_and_keeps_clicked_words(
    todo_app: Flask, client: FlaskClient, outbox: Any
) -> None:
    context(todo_app).provide(Clock(lambda: NOW))
    text = "Buy milk friday #home"
    body = {"text": text, "timezone": BERLIN}
    preview = client.post("/api/parse", json=body, headers=As("alice")).get_json()
    assert preview["would_create"]["title"] == "Buy milk"
    assert preview["would_create"]["all_day"] is True
    friday = next(s for s in preview["understood"] if s["kind"] == "date")
    assert text[friday["start"] : friday["end"]] == "friday"
    kept = client.post(
        "/api/parse",
        json={**body, "ignore": [[friday["start"], friday["end"]]]},
        headers=As("alice"),
    ).get_json()
    assert (
        kept["would_create"]["title"] == "Buy milk friday"
        and "due_date" not in kept["would_create"]
    )
    assert outbox() == []
