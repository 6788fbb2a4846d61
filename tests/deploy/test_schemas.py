"""Every rendered object against the real upstream schemas, with kubeconform.

Built-in kinds: the Kubernetes OpenAPI from the k8s.io/kubernetes module.
CRDs: Knative Serving, KEDA, Dapr (Go modules) and Strimzi (generated from its
Maven artefacts). See deploy/tools.sh for where each one comes from. The
KafkaSources and func.yaml are checked in test_upstream_schemas.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.deploy import OVERLAYS, ROOT, Tools, require

pytestmark = pytest.mark.deploy

# Checked against their CRD, kept in ../shared/upstream, by test_upstream_schemas.py
# (the Go module proxy here refuses knative.dev/eventing-kafka-broker).
CHECKED_ELSEWHERE = {"KafkaSource"}
# kubeconform's lookup templates: built-ins by kind and group, CRDs by full group.
K8S_LAYOUT = "k8s/{{ .ResourceKind }}{{ .KindSuffix }}.json"
CRD_LAYOUT = "crds/{{ .Group }}-{{ .ResourceKind }}-{{ .ResourceAPIVersion }}.json"


def kubeconform(tools: Tools, manifest: str) -> dict:
    schemas = tools.schemas
    require(schemas / "k8s" / "deployment-apps-v1.json", "Kubernetes schemas")
    require(schemas / "crds" / "serving.knative.dev-service-v1.json", "CRD schemas")
    result = subprocess.run(
        [
            str(tools.binary("kubeconform")),
            "-strict",
            "-output",
            "json",
            "-verbose",
            "-skip",
            ",".join(sorted(CHECKED_ELSEWHERE)),
            "-schema-location",
            f"{schemas}/{K8S_LAYOUT}",
            "-schema-location",
            f"{schemas}/{CRD_LAYOUT}",
        ],
        input=manifest,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    accepted = ("statusValid", "statusSkipped")
    problems = [r for r in report["resources"] if r["status"] not in accepted]
    assert result.returncode == 0 and not problems, json.dumps(problems, indent=1)[:4000]
    return report


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_upstream_schemas(
    overlay: str, tools: Tools, rendered: dict[str, str]
) -> None:
    report = kubeconform(tools, rendered[overlay])
    skipped = {r["kind"] for r in report["resources"] if r["status"] == "statusSkipped"}
    assert skipped <= CHECKED_ELSEWHERE
    valid = [r for r in report["resources"] if r["status"] == "statusValid"]
    assert len(valid) >= 30, "the render lost objects"


def test_kubeconform_rejects_what_the_api_server_would(tools: Tools) -> None:
    """Guard against a schema set that accepts anything."""
    bad = """
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: bad}
spec:
  template:
    spec:
      containers: [{image: x, lifecycle: {}}]
"""
    with pytest.raises(AssertionError, match="lifecycle"):
        kubeconform(tools, bad)


def test_workflows_pass_actionlint(tools: Tools) -> None:
    workflows = sorted(Path(ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run(
        [str(tools.binary("actionlint")), "-color=false", *map(str, workflows)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
