"""Turn Kubernetes' OpenAPI v2 spec (swagger.json) into kubeconform JSON schemas.

kubeconform looks a built-in kind up as ``<kind><-group><-version>.json`` (its
``{{ .ResourceKind }}{{ .KindSuffix }}`` template), the layout of the published
"standalone-strict" schema sets. Those sets are downloaded from GitHub, which
is not reachable here, so we build the same thing from the spec inside the
``k8s.io/kubernetes`` Go module. Each file holds one kind plus only the
definitions it reaches (``#/definitions/...``), so recursive types such as
JSONSchemaProps need no expansion. Strictness and int-or-string handling are
delegated to kubeconform's own ``scripts/openapi2jsonschema.py``, so built-in
kinds and CRDs are judged by the same rules.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

REF_PREFIX = "#/definitions/"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def load_upstream_converter(scripts_dir: Path) -> ModuleType:
    """Import kubeconform's openapi2jsonschema.py from the downloaded module."""
    path = scripts_dir / "openapi2jsonschema.py"
    spec = importlib.util.spec_from_file_location("kubeconform_openapi2jsonschema", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reachable(name: str, definitions: dict[str, Any]) -> set[str]:
    """Names of every definition reachable from ``name`` through $ref."""
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(_refs(definitions[current]))
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        # JSONSchemaProps has a *property* named "$ref"; only a string is a reference.
        found = [ref[len(REF_PREFIX) :]] if isinstance(ref, str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def file_name(gvk: dict[str, str]) -> str:
    """kubeconform's name: kind, then the group's first label, then version."""
    group = gvk["group"].split(".")[0]
    suffix = f"-{group}-{gvk['version']}" if group else f"-{gvk['version']}"
    return f"{gvk['kind']}{suffix}".lower() + ".json"


def kind_schema(name: str, definitions: dict[str, Any], upstream: ModuleType) -> dict[str, Any]:
    needed = sorted(reachable(name, definitions) - {name})
    schema = dict(definitions[name])
    schema["definitions"] = {dep: definitions[dep] for dep in needed}
    schema = upstream.additional_properties(schema)
    return upstream.replace_int_or_string(schema)


def convert(swagger: Path, scripts_dir: Path, out: Path) -> int:
    upstream = load_upstream_converter(scripts_dir)
    definitions: dict[str, Any] = json.loads(swagger.read_text())["definitions"]
    # The API server accepts a quantity as a string or a number (cpu: 1); the
    # spec only says "string". Same relaxation as the published schema sets.
    definitions[QUANTITY] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            schema = kind_schema(name, definitions, upstream)
            (out / file_name(gvk)).write_text(json.dumps(schema))
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swagger", type=Path, required=True)
    parser.add_argument("--kubeconform-scripts", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    count = convert(args.swagger, args.kubeconform_scripts, args.out)
    print(f"wrote {count} schemas to {args.out}")


if __name__ == "__main__":
    main()
