"""The chat's LLM path, against a scripted transport: the model plans calls of the same tools,
as the caller, within a bounded number of calls and a timeout; when it fails, the
deterministic parser answers. Nothing here reaches a network."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from functions.shared.wiring import context
from functions.todo.chat.assistant import Assistant
from tests.support.api import Api, types_on
from tests.support.identity import As

pytestmark = pytest.mark.api


class Script:
    """A model that answers from a list, and remembers every request it was sent."""

    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def __call__(
        self, url: str, body: dict[str, Any], headers: dict[str, str], timeout: float
    ) -> Any:
        self.requests.append({"url": url, "body": body, "headers": headers, "timeout": timeout})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return {"choices": [{"message": answer}]}


def call(name: str, arguments: dict[str, Any], call_id: str = "c1") -> dict[str, Any]:
    return {
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


@pytest.fixture
def assistant(todo_app: Flask) -> Callable[..., Script]:
    def install(script: Script, **options: Any) -> Script:
        context(todo_app).provide(
            Assistant("http://llm.test/v1", "test-model", lambda: "sk-test", script, **options)
        )
        return script

    return install


def ask(client: FlaskClient, message: str, user: str = "alice") -> dict[str, Any]:
    response = client.post("/api/chat", json={"message": message}, headers=As(user))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_model_adds_a_task_through_the_tools_as_the_caller(
    assistant: Callable[..., Script], client: FlaskClient, alice: Api, outbox: Any
) -> None:
    script = assistant(
        Script(
            call("add_tasks", {"tasks": [{"title": "Buy bread", "due_string": "tomorrow 8am"}]}),
            {"content": "Added Buy bread for tomorrow at 8."},
        )
    )
    answer = ask(client, "please remember bread for breakfast")
    assert answer["reply"] == "Added Buy bread for tomorrow at 8."
    [action] = answer["actions"]
    assert action["tool"] == "add_tasks" and action["result"]["succeeded"] == 1
    [task] = alice.get("/api/tasks").get_json()["items"]
    assert task["title"] == "Buy bread" and task["user_id"] == "alice"
    assert types_on(outbox(), "task-events") == ["task.created"]
    first = script.requests[0]
    assert first["url"] == "http://llm.test/v1/chat/completions"
    assert first["headers"] == {"Authorization": "Bearer sk-test"}
    assert {t["function"]["name"] for t in first["body"]["tools"]} >= {"add_tasks", "find_tasks"}
    schema = next(t for t in first["body"]["tools"] if t["function"]["name"] == "add_tasks")
    assert "tasks" in schema["function"]["parameters"]["properties"]
    sent_back = json.loads(script.requests[1]["body"]["messages"][-1]["content"])
    assert sent_back["succeeded"] == 1  # the tool's result went back to the model


def test_the_model_sees_only_the_callers_tasks(
    assistant: Callable[..., Script], client: FlaskClient, alice: Api
) -> None:
    alice.create(title="Alice's secret")
    script = assistant(Script(call("find_tasks", {}), {"content": "You have nothing."}))
    answer = ask(client, "what do I have?", user="bob")
    assert answer["actions"][0]["result"]["tasks"] == []
    assert "Alice" not in json.dumps(script.requests[1]["body"]["messages"])


def test_a_bad_tool_call_is_told_to_the_model_and_changes_nothing(
    assistant: Callable[..., Script], client: FlaskClient, outbox: Any
) -> None:
    script = assistant(
        Script(
            call("delete_tasks", {"ids": ["00000000-0000-0000-0000-000000000000"]}),
            call("no_such_tool", {}, "c2"),
            {"content": "I could not find that task."},
        )
    )
    answer = ask(client, "delete the thing")
    assert answer["reply"] == "I could not find that task."
    assert answer["actions"][0]["result"]["failed"] == 1
    told = [
        json.loads(m["content"])
        for m in script.requests[2]["body"]["messages"]
        if m["role"] == "tool"
    ]
    assert "does not exist" in json.dumps(told[0]) and "unknown tool" in told[1]["error"]
    assert outbox() == []


def test_tool_calls_are_bounded(assistant: Callable[..., Script], client: FlaskClient) -> None:
    script = assistant(
        Script(call("get_overview", {}), call("get_overview", {}), {"content": "done"}),
        max_tool_calls=1,
    )
    answer = ask(client, "overview please")
    assert [a["tool"] for a in answer["actions"]] == ["get_overview"]
    over = json.loads(script.requests[2]["body"]["messages"][-1]["content"])
    assert over == {"error": "no more tool calls"}
    assert "tools" not in script.requests[2]["body"]  # the last round may only answer


@pytest.mark.parametrize(
    "failure", [TimeoutError("slow"), ConnectionError("down"), KeyError("choices")]
)
def test_when_the_model_fails_the_parser_answers(
    assistant: Callable[..., Script], client: FlaskClient, alice: Api, failure: Exception
) -> None:
    assistant(Script(failure))
    answer = ask(client, "Add task: Water the plants")
    assert [a["tool"] for a in answer["actions"]] == ["quick_add"]
    assert [t["title"] for t in alice.get("/api/tasks").get_json()["items"]] == ["Water the plants"]


def test_the_model_runs_out_of_time(assistant: Callable[..., Script], client: FlaskClient) -> None:
    assistant(Script(call("get_overview", {})), timeout=0.0)
    answer = ask(client, "Add task: Call the plumber")
    assert [a["tool"] for a in answer["actions"]] == ["quick_add"]
