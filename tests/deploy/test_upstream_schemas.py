"""func.yaml and the Knative Eventing option's KafkaSources against their upstream
schemas, kept in `../shared/upstream/` (tests/deploy/upstream.py says why).

The KafkaSources are checked strictly: a field the CRD does not list fails, as the
API server would drop it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.deploy import ROOT, objects
from tests.support.upstream import closed, crd_schema, load_crd, upstream_file

pytestmark = pytest.mark.deploy

KAFKA_SOURCE = "sources.knative.dev/v1beta1"
CONSUMERS = ("audit", "recurring", "notify")


def func_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(upstream_file("func_yaml-schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    return jsonschema.Draft4Validator(schema)


def kafka_source_validator() -> jsonschema.Draft4Validator:
    schema = closed(crd_schema(load_crd("kafka-source-crd.yaml"), KAFKA_SOURCE))
    return jsonschema.Draft4Validator(schema)


def errors(validator: jsonschema.Draft4Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


@pytest.fixture(scope="module")
def kafka_sources(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """Every KafkaSource of every overlay, as kustomize renders it."""
    return [d for text in rendered.values() for d in objects(text) if d["kind"] == "KafkaSource"]


def test_func_yaml_is_valid_against_the_func_schema() -> None:
    document = yaml.safe_load((ROOT / "func.yaml").read_text())
    assert errors(func_validator(), document) == []


def test_the_func_schema_refuses_an_invented_field() -> None:
    document = yaml.safe_load((ROOT / "func.yaml").read_text())
    document["deploy"]["replicas"] = 2
    assert any("replicas" in e for e in errors(func_validator(), document))


def test_kafka_sources_are_valid_against_the_upstream_crd(
    kafka_sources: list[dict[str, Any]],
) -> None:
    assert sorted(s["metadata"]["name"] for s in kafka_sources) == sorted(CONSUMERS)
    validator = kafka_source_validator()
    for source in kafka_sources:
        assert source["apiVersion"] == KAFKA_SOURCE
        assert errors(validator, source) == [], source["metadata"]["name"]


@pytest.mark.parametrize(
    "where",
    [(), ("spec",), ("spec", "delivery"), ("spec", "sink", "ref")],
    ids=["top", "spec", "delivery", "sink.ref"],
)
def test_a_kafka_source_with_an_invented_field_fails(
    kafka_sources: list[dict[str, Any]], where: tuple[str, ...]
) -> None:
    source = copy.deepcopy(kafka_sources[0])
    node = source
    for key in where:
        node = node[key]
    node["retryPolicy"] = "forever"
    found = errors(kafka_source_validator(), source)
    assert found == [
        f"{'/'.join(where)}: Additional properties are not allowed ('retryPolicy' was unexpected)"
    ]


def test_a_kafka_source_without_its_topics_fails(kafka_sources: list[dict[str, Any]]) -> None:
    source = copy.deepcopy(kafka_sources[0])
    del source["spec"]["topics"]
    assert errors(kafka_source_validator(), source) == ["spec: 'topics' is a required property"]


def test_closed_keeps_open_what_preserves_unknown_fields() -> None:
    schema = closed(
        {
            "type": "object",
            "properties": {
                "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "shut": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
        }
    )
    validator = jsonschema.Draft4Validator(schema)
    assert errors(validator, {"open": {"anything": 1}}) == []
    assert errors(validator, {"shut": {"b": 1}}) == [
        "shut: Additional properties are not allowed ('b' was unexpected)"
    ]
