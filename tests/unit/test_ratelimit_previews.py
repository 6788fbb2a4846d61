"""A POST that changes nothing (the quick-add preview) spends no write budget."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from jwt import PyJWKSet

from functions.shared.identity import CachedKeySet, TokenVerifier
from functions.shared.identity.web import current_caller, init_identity
from functions.shared.problems import register_problem_handlers
from functions.shared.security.ratelimit import install_write_limits, reads_only
from functions.shared.settings import Settings
from tests.support.tokens import AUDIENCE, ISSUER, KeyPair, claims, key_set


def make_app(key: KeyPair) -> Flask:
    app = Flask(__name__)
    register_problem_handlers(app)
    keys = CachedKeySet(lambda: PyJWKSet.from_dict(key_set(key)))
    init_identity(app, TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE))
    install_write_limits(app, Settings(rate_limit_writes="2/hour"))

    @app.post("/api/parse")
    @reads_only
    def preview() -> Response:
        return jsonify(user=current_caller().user_id)

    @app.post("/api/tasks")
    def create() -> Response:
        return jsonify(user=current_caller().user_id)

    return app


def test_previews_are_free_and_leave_the_write_budget_alone() -> None:
    key = KeyPair.es256()
    alice = {"Authorization": f"Bearer {key.sign(claims(sub='alice'))}"}
    with make_app(key).test_client() as client:
        previews = {client.post("/api/parse", headers=alice).status_code for _ in range(5)}
        writes = [client.post("/api/tasks", headers=alice).status_code for _ in range(3)]
    assert previews == {200}
    assert writes == [200, 200, 429]


def test_the_quick_add_preview_route_is_marked() -> None:
    from functions.shared.security.ratelimit import READS_ONLY
    from functions.todo.chat.routes import preview

    assert getattr(preview, READS_ONLY) is True
