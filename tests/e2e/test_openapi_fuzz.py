"""Schemathesis against a real `todomesh dev`: every operation of the OpenAPI document,
called with a valid bearer token, answers no 5xx and only what the document declares.

The document is the one the platform serves at `/openapi.json` (the contract tier checks
that they are the same file); it is loaded from the repository so that pytest collects one
test per operation. Each operation gets the document's examples, the coverage cases
(boundaries, and methods the path does not offer) and a bounded, derandomized number of
generated cases: a run is repeatable and takes about a minute on two cores.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from schemathesis import Case, checks

from functions.todo import OPENAPI
from tests.support.databases import fresh_database_url
from tests.support.platform import PlatformProcess

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 40
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261202,
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",
        },
    }
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,  # 405 for a method the path does not offer
    checks.allow_header_conformance,  # and its Allow lists exactly the documented ones
]
ADMIN_TAG = "dead-letters"
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PlatformProcess]:
    """One `todomesh dev` for every operation of the module (a start costs seconds), on
    SQLite and on PostgreSQL (whose text, unlike SQLite's, refuses a NUL or a long value)."""
    with contextlib.ExitStack() as stack:
        env = {}
        if request.param == "postgres":
            server_url = request.getfixturevalue("postgres_url")
            env["DATABASE_URL"] = stack.enter_context(fresh_database_url(server_url))
        data_dir = tmp_path_factory.mktemp(f"fuzz-{request.param}") / "data"
        server = PlatformProcess(data_dir, env=env).start()
        yield server
        server.stop()
        server.close_sessions()


@pytest.fixture(scope="module")
def bearer(served: PlatformProcess) -> dict[str, dict[str, str]]:
    """An ordinary user's token, and an administrator's for the dead-letter routes."""
    return {
        "user": {"Authorization": f"Bearer {served.token('fuzzer')}"},
        "admin": {"Authorization": f"Bearer {served.token('fuzz-admin', admin=True)}"},
    }


@schema.parametrize()
def test_every_operation_answers_as_documented(
    case: Case, served: PlatformProcess, bearer: dict[str, dict[str, str]]
) -> None:
    who = "admin" if ADMIN_TAG in (case.operation.tags or []) else "user"
    case.call_and_validate(base_url=served.url, headers=bearer[who], checks=CHECKS, timeout=30)


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics"])
@pytest.mark.parametrize("method", ["TRACE", "POST", "DELETE", "OPTIONS"])
def test_the_probes_answer_only_reads(served: PlatformProcess, path: str, method: str) -> None:
    response = requests.request(method, f"{served.url}{path}", timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["instance"] == path
