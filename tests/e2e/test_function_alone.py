"""One consumer function run alone, as its author runs it, poked with `todomesh emit`.

    functions-framework --source functions/main.py --target audit --signature-type cloudevent

on its embedded SQLite default, then one CloudEvent structured (as Dapr delivers)
and one binary (as Knative delivers), each sent by the CLI; the replies, what the
CLI says the function did, and the function's own trail must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from functions.identity.tokens import DEFAULT_ISSUER, mint_token
from functions.launcher.processes import ManagedProcess, free_port, http_ok, wait_until
from tests.support.functions import ROOT, contract_event

pytestmark = pytest.mark.e2e


class LoneFunction:
    def __init__(self, process: ManagedProcess, port: int, data_dir: Path) -> None:
        self.process, self.port, self.data_dir = process, port, data_dir

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def audit_alone(tmp_path: Path) -> Iterator[LoneFunction]:
    """The audit function under functions-framework on a free port; stopped afterwards."""
    port, data_dir = free_port(), tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TODOMESH_DATA_DIR": str(data_dir)}
    env["TODOMESH_TOKEN_ISSUER"] = DEFAULT_ISSUER  # the query API takes `todomesh token`'s
    for name in ("DATABASE_URL", "TODOMESH_MODE", "APP_API_TOKEN"):
        env.pop(name, None)
    argv = ["functions-framework", "--source", "functions/main.py", "--target", "audit"]
    argv += ["--signature-type", "cloudevent", "--host", "127.0.0.1", "--port", str(port)]
    process = ManagedProcess(argv, log_file=tmp_path / "audit.log", env=env, cwd=ROOT)
    process.start()
    try:
        function = LoneFunction(process, port, data_dir)
        wait_until(lambda: http_ok(f"{function.url}/ready"), what="audit", process=process)
        yield function
    finally:
        process.stop()


def emit(url: str, event_type: str, payload_file: Path, *flags: str) -> str:
    """`todomesh emit` as a user runs it; its output (it must succeed)."""
    argv = [sys.executable, "-m", "functions.cli", "emit", url, "--type", event_type]
    argv += ["--data", f"@{payload_file}", *flags]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_emit_sends_a_structured_and_a_binary_event_and_says_what_the_function_did(
    audit_alone: LoneFunction, tmp_path: Path
) -> None:
    task = contract_event("task.completed", user_id="ann")["data"]["payload"]
    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps(task))
    url = f"{audit_alone.url}/events/task-events"

    structured = emit(url, "task.completed", task_file)
    binary = emit(url, "task.completed", task_file, "--binary")

    for output, mode in ((structured, "structured"), (binary, "binary")):
        assert f"({mode})" in output
        assert 'reply: 200 {"status":"SUCCESS"}' in output
        assert "function: audit: task.completed processed (+1)" in output
    token = mint_token(audit_alone.data_dir, "ann")
    trail = requests.get(
        f"{audit_alone.url}/api/audit/ann/task/{task['id']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["items"]
    # "sent task.completed <event id> (mode) to <url>"
    sent_ids = [output.splitlines()[0].split()[2] for output in (structured, binary)]
    assert [(r["event_id"], r["event_type"]) for r in trail] == [
        (event_id, "task.completed") for event_id in sent_ids
    ]
    assert {r["payload"]["title"] for r in trail} == {task["title"]}


def test_emit_says_when_a_function_ignores_an_event(
    audit_alone: LoneFunction, tmp_path: Path
) -> None:
    reminder = contract_event("reminder.due", user_id="ann")["data"]["payload"]
    reminder_file = tmp_path / "reminder.json"
    reminder_file.write_text(json.dumps(reminder))
    output = emit(f"{audit_alone.url}/events/task-events", "reminder.due", reminder_file)
    assert "function: audit: reminder.due ignored (+1)" in output
