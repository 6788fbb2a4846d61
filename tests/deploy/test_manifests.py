"""The rendered manifests keep the contract of docs/architecture.md.

Schemas say an object is well formed; these tests say the objects agree with
each other: app-ids, ports, consumer groups, topics, secrets.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from functions.runtime.router import FALLBACK, IDENTITY_PATHS, PREFIXES
from functions.todo.mcp_server import PATH as MCP_PATH
from tests.support.deploy import OVERLAYS, ROOT, objects

pytestmark = pytest.mark.deploy

ALWAYS_ON = ("todo", "hub")
CONSUMERS = {"audit": "task-events", "recurring": "task-events", "notify": "reminders"}
TOPICS = ("task-events", "task-updates", "reminders", "notifications")
QUERY_APIS = {"audit": "audit-api", "notify": "notify-api"}
DB_SECRET = {"secretKeyRef": {"name": "todomesh-db", "key": "database-url"}}
Obj = dict[str, Any]


def find(docs: list[Obj], kind: str, name: str, api_prefix: str = "") -> Obj:
    matches = [
        d
        for d in docs
        if d["kind"] == kind
        and d["metadata"]["name"] == name
        and d["apiVersion"].startswith(api_prefix)
    ]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_template(workload: Obj) -> Obj:
    return workload["spec"]["template"]


def container(workload: Obj) -> Obj:
    return pod_template(workload)["spec"]["containers"][0]


def env(workload: Obj) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(workload)["env"]}


@pytest.fixture(params=OVERLAYS)
def docs(request: pytest.FixtureRequest, rendered: dict[str, str]) -> list[Obj]:
    return objects(rendered[request.param])


def workloads(docs: list[Obj]) -> list[Obj]:
    return [
        d
        for d in docs
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "todomesh"
        and (d["kind"] == "Deployment" or d["apiVersion"].startswith("serving.knative.dev"))
        and "dapr.io/app-id" in pod_template(d)["metadata"].get("annotations", {})
    ]


def test_always_on_apps_are_knative_services_with_min_scale(docs: list[Obj]) -> None:
    for app in ALWAYS_ON:
        service = find(docs, "Service", app, "serving.knative.dev/")
        annotations = pod_template(service)["metadata"]["annotations"]
        assert int(annotations["autoscaling.knative.dev/min-scale"]) >= 1
        pdb = find(docs, "PodDisruptionBudget", app)
        assert pdb["spec"]["selector"]["matchLabels"] == {"serving.knative.dev/service": app}


def test_every_app_has_dapr_probes_and_the_database_secret(docs: list[Obj]) -> None:
    apps = {pod_template(w)["metadata"]["annotations"]["dapr.io/app-id"] for w in workloads(docs)}
    assert apps == {"todo", "hub", "audit", "recurring", "notify"}
    configurations = {d["metadata"]["name"] for d in docs if d["kind"] == "Configuration"}
    for workload in workloads(docs):
        annotations = pod_template(workload)["metadata"]["annotations"]
        app = annotations["dapr.io/app-id"]
        assert workload["metadata"]["name"] == app
        assert annotations["dapr.io/enabled"] == "true"
        assert annotations["dapr.io/app-port"] == "8080"
        # queue-proxy owns 9090 in every Knative pod.
        assert annotations["dapr.io/metrics-port"] not in ("9090", "9091", "8012", "8022")
        assert annotations["dapr.io/config"] in configurations
        variables = env(workload)
        assert variables["FUNCTION_TARGET"] == app
        assert variables["DATABASE_URL"] == {
            "secretKeyRef": {"name": "todomesh-db", "key": "database-url"}
        }
        c = container(workload)
        assert c["livenessProbe"]["httpGet"]["path"] == "/health"
        assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert c["securityContext"]["runAsNonRoot"] is True
        assert c["resources"]["requests"] and c["resources"]["limits"]


def test_hub_holds_websockets(docs: list[Obj]) -> None:
    hub = find(docs, "Service", "hub", "serving.knative.dev/")
    assert pod_template(hub)["spec"]["timeoutSeconds"] >= 300
    annotations = pod_template(hub)["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/metric"] == "concurrency"
    pubsub_hub = find(docs, "Component", "pubsub-hub")
    metadata = {m["name"]: m.get("value") for m in pubsub_hub["spec"]["metadata"]}
    assert metadata["consumerGroup"] == "{podName}"


def test_keda_reads_the_lag_of_the_dapr_consumer_group(docs: list[Obj]) -> None:
    pubsub = find(docs, "Component", "pubsub")
    brokers = {m["name"]: m.get("value") for m in pubsub["spec"]["metadata"]}["brokers"]
    scaled = [d for d in docs if d["kind"] == "ScaledObject"]
    for scaled_object in scaled:
        app = scaled_object["spec"]["scaleTargetRef"]["name"]
        deployment = find(docs, "Deployment", app)
        assert "replicas" not in deployment["spec"], "KEDA owns the replica count"
        assert scaled_object["spec"]["minReplicaCount"] == 0
        trigger = scaled_object["spec"]["triggers"][0]
        assert trigger["type"] == "kafka"
        # Dapr's consumer group is the app-id; the hub's {podName} never scales.
        assert trigger["metadata"]["consumerGroup"] == app
        assert trigger["metadata"]["bootstrapServers"] == brokers
        subscriptions = [
            d for d in docs if d["kind"] == "Subscription" and app in d.get("scopes", [])
        ]
        assert {s["spec"]["topic"] for s in subscriptions} == {trigger["metadata"]["topic"]}
        assert CONSUMERS[app] == trigger["metadata"]["topic"]


def test_each_consumer_has_exactly_one_delivery_path(docs: list[Obj]) -> None:
    for app, topic in CONSUMERS.items():
        dapr = [d for d in docs if d["kind"] == "Subscription" and app in d.get("scopes", [])]
        sources = [d for d in docs if d["kind"] == "KafkaSource" and d["metadata"]["name"] == app]
        assert len(dapr) + len(sources) == 1, app
        for source in sources:
            assert source["spec"]["consumerGroup"] == app
            assert source["spec"]["topics"] == [topic]


def test_kafka_source_sinks_accept_its_deliveries_and_stay_in_the_cluster(
    docs: list[Obj],
) -> None:
    """A KafkaSource sends no Dapr app token: a sink that demands one refuses every event."""
    for source in (d for d in docs if d["kind"] == "KafkaSource"):
        sink = find(docs, "Service", source["spec"]["sink"]["ref"]["name"], "serving.knative.dev")
        assert "APP_API_TOKEN" not in env(sink), sink["metadata"]["name"]
        labels = sink["metadata"]["labels"]
        assert labels.get("networking.knative.dev/visibility") == "cluster-local"


def test_topics_and_dead_letter_topics_exist_next_to_the_kafka_cluster(docs: list[Obj]) -> None:
    kafka = find(docs, "Kafka", "todomesh")
    topics = {d["metadata"]["name"]: d for d in docs if d["kind"] == "KafkaTopic"}
    assert set(topics) == set(TOPICS) | {f"{t}-dlq" for t in TOPICS} | {"dead-letters-parked"}
    for topic in topics.values():
        assert topic["metadata"]["namespace"] == kafka["metadata"]["namespace"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "todomesh"
        assert topic["spec"]["partitions"] >= 1 and "retention.ms" in topic["spec"]["config"]
    for subscription in (d for d in docs if d["kind"] == "Subscription"):
        assert subscription["spec"]["topic"] in topics
        assert subscription["spec"]["deadLetterTopic"] in topics


def test_every_dapr_resource_of_the_repository_is_deployed(docs: list[Obj]) -> None:
    """dapr/ and bindings/ are the source: a file added there must reach the cluster
    (a consumer's subscription only when no KafkaSource replaces it)."""
    rendered = {
        (d["kind"], d["metadata"]["name"]) for d in docs if d["apiVersion"].startswith("dapr.io/")
    }
    replaced = {d["metadata"]["name"] for d in docs if d["kind"] == "KafkaSource"}
    sources = sorted((ROOT / "dapr").rglob("*.yaml")) + sorted((ROOT / "bindings").glob("*.yaml"))
    for path in sources:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc["kind"] == "Subscription" and set(doc["scopes"]) <= replaced:
                continue
            assert (doc["kind"], doc["metadata"]["name"]) in rendered, path.relative_to(ROOT)


def test_cluster_values_patch_the_shared_dapr_components(docs: list[Obj]) -> None:
    assert find(docs, "Component", "secretstore")["spec"]["type"] == "secretstores.kubernetes"
    for name in ("pubsub", "pubsub-hub"):
        component = find(docs, "Component", name)
        metadata = {m["name"]: m.get("value") for m in component["spec"]["metadata"]}
        assert metadata["brokers"].endswith(".kafka.svc:9092")
    for doc in docs:
        if doc["apiVersion"].startswith("dapr.io/"):
            assert doc["metadata"]["namespace"] == "todomesh"


def test_migrations_run_as_a_job_before_traffic(docs: list[Obj]) -> None:
    job = find(docs, "Job", "todomesh-migrate")
    script = " ".join(container(job)["command"] + container(job)["args"])
    assert "functions.cli migrate --app" in script
    assert all(app in script for app in ("todo", "hub", "audit", "recurring", "notify"))
    assert env(job)["DATABASE_URL"]["secretKeyRef"]["name"] == "todomesh-db"


def test_every_app_image_is_resolved(rendered: dict[str, str]) -> None:
    local = {container(w)["image"] for w in workloads(objects(rendered["local"]))}
    prod = {container(w)["image"] for w in workloads(objects(rendered["prod"]))}
    assert local == {"todomesh:dev"}
    assert prod == {"ghcr.io/todomesh/todomesh:latest"}


def consumer_of(docs: list[Obj], app: str) -> Obj:
    """The workload whose sidecar consumes for `app`: a Deployment, or a Knative Service
    fed by a KafkaSource (the Knative Eventing option)."""
    [workload] = [
        w
        for w in workloads(docs)
        if pod_template(w)["metadata"]["annotations"]["dapr.io/app-id"] == app
    ]
    return workload


def test_query_apis_scale_on_requests_from_zero_beside_consumers_that_answer_none(
    docs: list[Obj],
) -> None:
    for app, name in QUERY_APIS.items():
        service = find(docs, "Service", name, "serving.knative.dev/")
        annotations = pod_template(service)["metadata"]["annotations"]
        assert annotations["autoscaling.knative.dev/min-scale"] == "0"
        assert not [a for a in annotations if a.startswith("dapr.io/")], "no sidecar"
        assert service["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
        variables = env(service)
        assert (variables["FUNCTION_TARGET"], variables["TODOMESH_ROLE"]) == (app, "query")
        assert variables["DATABASE_URL"] == DB_SECRET  # its app's own schema, as the consumer
        assert not {"APP_API_TOKEN", "DAPR_API_TOKEN"} & set(variables)
        c = container(service)
        assert (c["readinessProbe"]["httpGet"]["path"], c["securityContext"]["runAsNonRoot"]) == (
            "/ready",
            True,
        )
        consumer = consumer_of(docs, app)
        assert env(consumer)["TODOMESH_ROLE"] == "consumer"
        assert env(consumer)["DATABASE_URL"] == DB_SECRET
        assert container(consumer)["image"] == c["image"]
    # nothing sends requests to a consumer's pods
    plain = [d for d in docs if d["kind"] == "Service" and d["apiVersion"] == "v1"]
    selected = {s["spec"].get("selector", {}).get("app.kubernetes.io/name") for s in plain}
    assert not selected & set(CONSUMERS)
    for scaled_object in (d for d in docs if d["kind"] == "ScaledObject"):
        assert scaled_object["spec"]["minReplicaCount"] == 0


def test_one_origin_routes_each_path_as_the_embedded_router_does(docs: list[Obj]) -> None:
    route = find(docs, "HTTPRoute", "todomesh")
    routed: dict[str, str] = {}
    for rule in route["spec"]["rules"]:
        [host] = [f["urlRewrite"]["hostname"] for f in rule["filters"] if f["type"] == "URLRewrite"]
        service, namespace, rest = host.split(".", 2)
        assert (namespace, rest) == ("todomesh", "svc.cluster.local")
        find(docs, "Service", service, "serving.knative.dev/")
        # Knative's cluster-local gateway: the activator answers for a service at zero
        assert rule["backendRefs"] == [
            {"name": "kourier-internal", "namespace": "kourier-system", "port": 80}
        ]
        for match in rule["matches"]:
            assert match["path"]["type"] == "PathPrefix"
            routed[match["path"]["value"]] = service
    expected = {prefix.rstrip("/"): QUERY_APIS.get(app, app) for prefix, app in PREFIXES}
    expected |= {path.rstrip("/"): "todo" for path in (*IDENTITY_PATHS, MCP_PATH)}
    assert routed == {**expected, "/": FALLBACK}
    grant = find(docs, "ReferenceGrant", "todomesh-routes")
    assert grant["metadata"]["namespace"] == "kourier-system"
    assert grant["spec"]["from"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "todomesh"}
    ]
    [parent] = route["spec"]["parentRefs"]
    assert find(docs, "Gateway", parent["name"])["metadata"]["namespace"] == "todomesh"
