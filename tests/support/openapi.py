"""The OpenAPI document (functions/todo/openapi.json) as tests read it: its operations, and a
check that a response is what the document declares for its operation and status."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import TestResponse

from functions.todo import OPENAPI

DOC_URI = "urn:todomesh:openapi"
DOCUMENT: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource(DOC_URI, Resource(DOCUMENT, DRAFT202012))
FORMATS = Draft202012Validator.FORMAT_CHECKER
METHODS = ("get", "put", "post", "delete", "patch")


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def at(pointer: str) -> Any:
    node: Any = DOCUMENT
    for part in pointer.lstrip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def follow(pointer: str) -> tuple[str, dict[str, Any]]:
    """The pointer and node a (possibly `$ref`) node at `pointer` stands for."""
    node = at(pointer)
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = at(pointer)
    return pointer, node


def errors(pointer: str, instance: Any) -> list[str]:
    """What is wrong with `instance` by the schema at `pointer` (its `$ref`s resolved)."""
    validator = Draft202012Validator(
        {"$ref": f"{DOC_URI}#{pointer}"}, registry=REGISTRY, format_checker=FORMATS
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def operations() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in METHODS
    }


def documented_responses() -> set[tuple[str, str, str]]:
    return {
        (path, method, status)
        for path, method in operations()
        for status in DOCUMENT["paths"][path][method]["responses"]
    }


def check_response(response: TestResponse, path: str, method: str) -> Any:
    """Assert `response` is what the document declares for path+method+status; return the body."""
    operation = f"/paths/{escape(path)}/{method}"
    status = str(response.status_code)
    responses = at(f"{operation}/responses")
    assert status in responses, (
        f"{method.upper()} {path} answered undocumented {status}: "
        + (response.get_data(as_text=True)[:500])
    )
    pointer, declared = follow(f"{operation}/responses/{status}")
    for name in declared.get("headers", {}):
        header_pointer, header = follow(f"{pointer}/headers/{escape(name)}")
        value = response.headers.get(name)
        if header.get("required"):
            assert value is not None, f"{method.upper()} {path} {status}: no {name} header"
        if value is not None:
            assert not errors(f"{header_pointer}/schema", value), (name, value)
    content = declared.get("content")
    if not content:
        assert response.get_data() == b""
        return None
    assert response.mimetype in content, f"{status} is {response.mimetype}, not {list(content)}"
    if not response.mimetype.endswith("json"):
        return response.get_data(as_text=True)
    body = json.loads(response.get_data())
    problems = errors(f"{pointer}/content/{escape(response.mimetype)}/schema", body)
    assert not problems, f"{method.upper()} {path} {status}: {problems}"
    return body
