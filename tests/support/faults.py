"""Helpers for the fault tests (tests/integration/test_faults.py): the apps' HTTP APIs,
bursts of writes, dead letters read back from Kafka, crashes."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from functions.launcher.processes import ManagedProcess
from tests.support.identity import User
from tests.support.kafka import TopicReader
from tests.support.waiting import wait_for

HTTP_TIMEOUT = 10


def drain(
    count: Callable[[], int], expected: int, *, what: str, timeout: float, stall: float = 20.0
) -> int:
    """Poll `count` until it reaches `expected`, stops growing for `stall` seconds (a stuck
    or lossy consumer: fail fast, not at `timeout`), or `timeout` passes; the last count,
    so that the caller can say what is missing."""
    deadline = time.monotonic() + timeout
    last = {"count": -1, "since": time.monotonic()}

    def done(current: int) -> bool:
        now = time.monotonic()
        if current != last["count"]:
            last.update(count=current, since=now)
        return current >= expected or now - last["since"] > stall or now > deadline

    return wait_for(count, what, until=done, timeout=timeout + 10, interval=1)


def duplicates(values: Iterable[Any]) -> dict[Any, int]:
    return {value: n for value, n in Counter(values).items() if n > 1}


# --- the apps' HTTP APIs -----------------------------------------------------------


def user_session(user: User) -> requests.Session:
    """requests as `user`, with their bearer token."""
    session = requests.Session()
    session.headers.update(user.headers)
    return session


def audit_records(audit_url: str, user: User, task_id: str | None = None) -> list[dict[str, Any]]:
    """Every audit record of `user` (or of one task), following the cursor to the end."""
    path = f"{audit_url}/api/audit/{user}" + (f"/task/{task_id}" if task_id else "")
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    with user_session(user) as http:
        while True:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            response = http.get(path, params=params, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            body = response.json()
            items += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                return items


def task_ids(todo_url: str, user: User) -> list[str]:
    """The ids of every task of `user` (any status), following the cursor."""
    ids: list[str] = []
    cursor: str | None = None
    with user_session(user) as http:
        while True:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            response = http.get(f"{todo_url}/api/tasks", params=params, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            body = response.json()
            ids += [task["id"] for task in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                return ids


def ready(url: str) -> tuple[int, dict[str, Any]]:
    """`GET /ready` -> (status, body); (0, {}) when the app does not answer."""
    try:
        response = requests.get(f"{url}/ready", timeout=HTTP_TIMEOUT)
    except requests.RequestException:
        return 0, {}
    return response.status_code, response.json()


def outbox_pending(todo_url: str) -> int | None:
    """The todo service's outbox lag as `/ready` shows it (None when it cannot tell)."""
    status, body = ready(todo_url)
    outbox = body.get("checks", {}).get("outbox")
    return outbox["pending"] if status == 200 and isinstance(outbox, dict) else None


def metric(url: str, name: str, **labels: str) -> float:
    """The sum of the Prometheus samples `name` whose labels include `labels`."""
    text = requests.get(f"{url}/metrics", timeout=HTTP_TIMEOUT).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        label_text, _, value = line[len(name) + 1 :].rpartition("} ")
        found = dict(
            part.split("=", 1) for part in label_text.split(",") if "=" in part
        )  # values keep their quotes
        if all(found.get(k) == f'"{v}"' for k, v in labels.items()):
            total += float(value)
    return total


@dataclass
class Writes:
    """What a burst of API writes did: the created task ids, every status seen."""

    created: list[str]
    statuses: Counter[int]


def create_tasks(
    todo_url: str,
    user: User,
    count: int,
    *,
    complete: bool = False,
    workers: int = 8,
    **fields: Any,
) -> Writes:
    """Create `count` tasks (and complete each when `complete`) with a few parallel clients."""

    def one(n: int) -> tuple[str | None, list[int]]:
        with user_session(user) as http:
            body = {"title": f"fault task {n}", **fields}
            created = http.post(f"{todo_url}/api/tasks", json=body, timeout=HTTP_TIMEOUT)
            if created.status_code != 201:
                return None, [created.status_code]
            task_id = created.json()["id"]
            if not complete:
                return task_id, [201]
            done = http.post(f"{todo_url}/api/tasks/{task_id}/complete", timeout=HTTP_TIMEOUT)
            return task_id, [201, done.status_code]

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(one, range(count)))
    statuses: Counter[int] = Counter(code for _, codes in results for code in codes)
    return Writes([task_id for task_id, _ in results if task_id], statuses)


# --- Kafka ------------------------------------------------------------------------


def dead_letters(bootstrap: str, ids: set[str], *, timeout: float) -> list:
    """The records of `task-events-dlq` whose CloudEvent id is in `ids`, once every id is
    there, read to the topic's end (call it when the platform owes nothing, so that any
    extra copy is there too)."""
    reader = TopicReader(bootstrap, ["task-events-dlq"])
    try:

        def mine(r: TopicReader) -> list:
            return [record for record in r.records if envelope_id(record) in ids]

        reader.wait_for(
            lambda r: {envelope_id(x) for x in mine(r)} >= ids, f"dead letters {ids}", timeout
        )
        reader.read_to_end()
        return mine(reader)
    finally:
        reader.close()


def dead_letters_of_user(bootstrap: str, user: str) -> list:
    """What `task-events-dlq` holds of `user`'s events, read to its end."""
    reader = TopicReader(bootstrap, ["task-events-dlq"])
    try:
        reader.read_to_end()
        return reader.of_user(user)
    finally:
        reader.close()


def envelope_id(record: Any) -> str | None:
    try:
        return record.envelope.get("id")
    except (ValueError, AttributeError):
        return None


# --- crashes ------------------------------------------------------------------------


def crash(process: ManagedProcess) -> None:
    """SIGKILL the process and everything in its session (gunicorn arbiter and worker)
    at once: no shutdown work, no worker left serving the socket."""
    assert process.alive and process.pid, "the process to crash is not running"
    os.killpg(process.pid, signal.SIGKILL)
    process.stop()  # reaps it


def port_closed(url: str) -> bool:
    try:
        requests.get(f"{url}/health", timeout=2)
    except requests.ConnectionError:
        return True
    return False
