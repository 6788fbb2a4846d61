"""Per-caller write limits: 429 problem+json with Retry-After, keyed by the verified user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, jsonify
from flask.testing import FlaskClient
from jwt import PyJWKSet
from limits.errors import ConfigurationError
from limits.storage import storage_from_string

from functions.shared.identity import CachedKeySet, TokenVerifier
from functions.shared.identity.web import current_caller, init_identity
from functions.shared.problems import register_problem_handlers
from functions.shared.security.ratelimit import (
    SweepingMemoryStorage,
    install_write_limits,
    parse_limits,
    storage_uri,
)
from functions.shared.settings import Settings
from tests.support.tokens import AUDIENCE, ISSUER, KeyPair, claims, key_set
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair.es256()


def make_app(key: KeyPair, settings: Settings) -> Flask:
    app = Flask(__name__)
    register_problem_handlers(app)
    keys = CachedKeySet(lambda: PyJWKSet.from_dict(key_set(key)))
    init_identity(app, TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE))
    install_write_limits(app, settings)

    @app.route("/api/tasks", methods=["GET", "POST"])
    def tasks() -> Response:
        return jsonify(user=current_caller().user_id)

    @app.post("/events/task-events")
    def delivery() -> Response:
        return jsonify(status="SUCCESS")

    return app


@pytest.fixture
def client(key: KeyPair) -> Iterator[FlaskClient]:
    with make_app(key, Settings(rate_limit_writes="2/hour")).test_client() as test_client:
        yield test_client


def as_user(key: KeyPair, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.sign(claims(sub=user))}"}


def test_writes_past_the_limit_get_429_with_retry_after(client: FlaskClient, key: KeyPair) -> None:
    alice = as_user(key, "alice")
    first = client.post("/api/tasks", headers=alice)
    assert (first.status_code, first.headers["X-RateLimit-Remaining"]) == (200, "1")
    assert client.post("/api/tasks", headers=alice).status_code == 200
    refused = client.post("/api/tasks", headers=alice)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429 and "2 per 1 hour" in refused.json["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600


def test_each_user_has_a_budget(client: FlaskClient, key: KeyPair) -> None:
    for _ in range(3):
        client.post("/api/tasks", headers=as_user(key, "alice"))
    assert client.post("/api/tasks", headers=as_user(key, "bob")).status_code == 200


def test_a_new_token_of_the_same_user_shares_the_budget(client: FlaskClient, key: KeyPair) -> None:
    for _ in range(2):
        client.post("/api/tasks", headers=as_user(key, "alice"))
    assert client.post("/api/tasks", headers=as_user(key, "alice")).status_code == 429


def test_reads_are_not_limited(client: FlaskClient, key: KeyPair) -> None:
    alice = as_user(key, "alice")
    for _ in range(3):
        client.post("/api/tasks", headers=alice)
    assert client.get("/api/tasks", headers=alice).status_code == 200


def test_sidecar_deliveries_are_not_limited(client: FlaskClient) -> None:
    statuses = {client.post("/events/task-events").status_code for _ in range(5)}
    assert statuses == {200}


def test_callers_without_a_valid_token_share_their_address_s_budget(
    client: FlaskClient, key: KeyPair
) -> None:
    anonymous = [client.post("/api/tasks").status_code for _ in range(2)]
    forged = client.post("/api/tasks", headers={"Authorization": "Bearer forged"})
    assert anonymous == [401, 401] and forged.status_code == 429
    assert client.post("/api/tasks", headers=as_user(key, "alice")).status_code == 200


@pytest.mark.parametrize("value", ["", "lots", "60/fortnight", "-1/minute"])
def test_a_bad_limit_setting_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="TODOMESH_RATE_LIMIT_WRITES"):
        parse_limits(value)


def test_an_unknown_storage_is_refused(key: KeyPair) -> None:
    with pytest.raises(ConfigurationError):
        make_app(key, Settings(rate_limit_storage="nosuch://here"))


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch) -> Iterator[SweepingMemoryStorage]:
    """`memory://` as served, its sweep a minute away: no stall of a test lets it run
    before the test's checks. Its timer is cancelled after the test."""
    monkeypatch.setattr(SweepingMemoryStorage, "SWEEP_SECONDS", 60.0)
    made = storage_from_string(storage_uri("memory://"))
    assert isinstance(made, SweepingMemoryStorage)
    yield made
    made.timer.cancel()


def test_memory_counters_are_swept_by_one_timer_not_a_thread_per_write(
    storage: SweepingMemoryStorage,
) -> None:
    """limits' memory storage starts a sweeping thread 10 ms after a hit; under steady
    writes that was a thread (and a wait for it to start) per write."""
    storage.incr("writes", 60)
    timer = storage.timer
    timer.join(0.05)  # limits' own 10 ms timer would have run and ended by now
    for _ in range(10):
        storage.incr("writes", 60)
    assert storage.timer is timer and timer.is_alive()
    assert storage.get("writes") == 11


def test_an_expired_counter_reads_as_zero_before_any_sweep(
    storage: SweepingMemoryStorage,
) -> None:
    storage.incr("brief", 0.01)
    wait_for(lambda: storage.get("brief"), "the counter expired", until=lambda n: n == 0)
    assert storage.timer.is_alive()  # no sweep has run yet


def test_other_storages_are_used_as_configured() -> None:
    assert storage_uri("redis://cache:6379/0") == "redis://cache:6379/0"
    assert storage_uri("memory://") == "todomesh-memory://"
