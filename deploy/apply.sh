#!/usr/bin/env bash
# apply.sh OVERLAY [IMAGE]: render an overlay and apply it to the current
# kubectl context, then wait until the platform is up. The cluster must already
# run Knative Serving, Dapr, KEDA and Strimzi (docs/deploy.md, steps 1-4).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
overlay="${1:?usage: apply.sh OVERLAY [IMAGE]}"
manifest="$(mktemp)"
trap 'rm -rf "$manifest"' EXIT

"$ROOT/deploy/render.sh" "$overlay" "${2:-}" >"$manifest"
# A Job's pod template is immutable: the previous migration run goes first.
kubectl -n todomesh delete job todomesh-migrate --ignore-not-found
kubectl apply -f "$manifest"
# Apps whose Kafka or database is not up yet restart until it is; wait in the
# order the dependencies come up.
kubectl -n kafka wait kafka/todomesh --for=condition=Ready --timeout=15m
kubectl -n todomesh wait job/todomesh-migrate --for=condition=Complete --timeout=10m
kubectl -n todomesh wait ksvc --all --for=condition=Ready --timeout=10m
kubectl -n todomesh get ksvc,deploy,scaledobject
