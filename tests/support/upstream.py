"""The upstream schemas that no registry here serves, read where they are kept.

`<repo>/../shared/upstream/` holds knative/func's `func_yaml-schema.json` and the
KafkaSource CRD of eventing-kafka-broker, unchanged (its README names their
commits). They are read from there, never copied into the repository;
`TODOMESH_UPSTREAM_DIR` points elsewhere (a checkout that is not beside `shared/`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tests.support.deploy import ROOT, missing

Schema = dict[str, Any]


def upstream_file(name: str) -> Path:
    """The kept upstream file `name`; a missing one fails under CI=true (and `task
    validate`), and skips elsewhere."""
    folder = Path(os.environ.get("TODOMESH_UPSTREAM_DIR") or ROOT.parent / "shared" / "upstream")
    path = folder / name
    if not path.is_file():
        missing(f"upstream schema {name} not found in {folder}")
    return path


def crd_schema(crd: Schema, api_version: str) -> Schema:
    """The openAPIV3Schema of the served `api_version` (`group/version`) of `crd`."""
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group, f"{api_version} is not served by this CRD"
    served = {v["name"]: v for v in crd["spec"]["versions"] if v.get("served")}
    assert version in served, f"{api_version} is not served (served: {sorted(served)})"
    return served[version]["schema"]["openAPIV3Schema"]


def load_crd(name: str) -> Schema:
    crd: Schema = yaml.safe_load(upstream_file(name).read_text())
    assert crd["kind"] == "CustomResourceDefinition"
    return crd


def closed(schema: Schema) -> Schema:
    """`schema` as the API server applies it: an object that lists `properties` takes
    no other field unless it says `x-kubernetes-preserve-unknown-fields: true` (the
    server prunes unknown fields of a structural schema; here they are an error)."""
    node = {key: value for key, value in schema.items() if key not in ("properties", "items")}
    if "properties" in schema:
        node["properties"] = {k: closed(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            node.setdefault("additionalProperties", False)
    if isinstance(schema.get("items"), dict):
        node["items"] = closed(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        node["additionalProperties"] = closed(schema["additionalProperties"])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            node[key] = [closed(s) for s in schema[key]]
    if schema.get("x-kubernetes-int-or-string"):
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in node:
        node["type"] = [node["type"], "null"]
    return node
