"""Strict JSON bodies: what Python's json accepts and a strict parser must refuse."""

from __future__ import annotations

import json

import pytest
from flask import Flask, Response, jsonify

from functions.shared.problems import Problem, register_problem_handlers
from functions.shared.security.strict_json import (
    MAX_DEPTH,
    depth,
    loads_strict,
    request_json_object,
    strict_json_object,
)


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "x", "n": 1.5, "tags": ["a"], "ok": true, "none": null}',
        '{"title": "Blumen gießen 🌱"}'.encode(),
        b"[1, 2, 3]",
        b'"text"',
        b"1e308",
    ],
)
def test_ordinary_json_reads_as_python_does(body: bytes) -> None:
    assert loads_strict(body) == json.loads(body)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"n": NaN}', "NaN"),
        (b'{"n": Infinity}', "Infinity"),
        (b'{"n": -Infinity}', "-Infinity"),
        (b'{"n": 1e999}', "too large"),
        (b'{"title": "a", "title": "b"}', "'title' appears twice"),
        (b'{"outer": {"k": 1, "k": 2}}', "'k' appears twice"),
        ('{"t": "x"}'.encode("utf-16"), "not UTF-8"),
        (b'{"t": "\xff"}', "not UTF-8"),
        (b'\xef\xbb\xbf{"t": 1}', "not valid JSON"),
        (b'{"t": 1', "not valid JSON"),
        (b'{"t": 1} {"t": 2}', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested deeper"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested deeper"),
    ],
)
def test_refused_with_a_clear_400(body: bytes, fragment: str) -> None:
    with pytest.raises(Problem) as caught:
        loads_strict(body)
    assert caught.value.status == 400
    assert fragment in caught.value.detail


def test_the_depth_limit_is_inclusive() -> None:
    body = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert depth(loads_strict(body)) == MAX_DEPTH


@pytest.mark.parametrize(
    ("value", "levels"), [(1, 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[1], [[2]]], 3)]
)
def test_depth(value: object, levels: int) -> None:
    assert depth(value) == levels


@pytest.mark.parametrize("body", [b"[1]", b'"x"', b"null", b""])
def test_an_object_is_required_422(body: bytes) -> None:
    with pytest.raises(Problem) as caught:
        strict_json_object(body)
    assert caught.value.status == 422


def test_a_flask_view_answers_problem_json() -> None:
    app = Flask(__name__)
    register_problem_handlers(app)

    @app.post("/api/tasks")
    def create() -> Response:
        return jsonify(request_json_object())

    with app.test_client() as client:
        ok = client.post("/api/tasks", data=b'{"title": "x"}')
        duplicate = client.post("/api/tasks", data=b'{"title": "x", "title": "y"}')
    assert ok.json == {"title": "x"}
    assert duplicate.status_code == 400
    assert duplicate.mimetype == "application/problem+json"
    assert duplicate.json["title"] == "Invalid JSON"
    assert "appears twice" in duplicate.json["detail"]
