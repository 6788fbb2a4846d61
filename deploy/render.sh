#!/usr/bin/env bash
# render.sh OVERLAY [IMAGE]: print the manifests of knative/overlays/OVERLAY.
# IMAGE (e.g. ghcr.io/acme/todomesh:1.4.2 or ...@sha256:...) replaces the base's
# ghcr.io/todomesh/todomesh:latest through a throwaway kustomization, so no
# tracked file is edited.
#
# --load-restrictor LoadRestrictionsNone: knative/base/dapr uses the shared
# files in dapr/ and bindings/, outside its root (docs/deploy.md explains why).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TODOMESH_CACHE="${TODOMESH_CACHE:-$HOME/.cache/todomesh}"
KUSTOMIZE="${KUSTOMIZE:-$TODOMESH_CACHE/bin/kustomize}"
overlay="${1:?usage: render.sh OVERLAY [IMAGE]}"
image="${2:-}"
dir="$ROOT/knative/overlays/$overlay"
[[ -d "$dir" ]] || { echo "no overlay $dir" >&2; exit 2; }
[[ -x "$KUSTOMIZE" ]] || { echo "kustomize missing: run deploy/tools.sh (task validate)" >&2; exit 2; }

if [[ -z "$image" ]]; then
  exec "$KUSTOMIZE" build --load-restrictor LoadRestrictionsNone "$dir"
fi
wrapper="$(mktemp -d)"
trap 'rm -rf "$wrapper"' EXIT
# kustomize only takes relative paths to a base.
(cd "$wrapper" && "$KUSTOMIZE" create --resources "$(realpath --relative-to="$wrapper" "$dir")" \
  && "$KUSTOMIZE" edit set image "ghcr.io/todomesh/todomesh=$image")
"$KUSTOMIZE" build --load-restrictor LoadRestrictionsNone "$wrapper"
