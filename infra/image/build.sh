#!/usr/bin/env bash
# Build the app image from the Containerfile into the project's podman storage as
# TODOMESH_IMAGE (image.env), on the Debian base that base.sh makes: no image
# registry is used (--pull=never). podman's layer cache makes a rebuild of
# unchanged sources quick, so this always runs and has no --check.
#
# The host's CA bundle is mounted read-only over the build containers' own, so pip
# can pass this machine's TLS-intercepting proxy; a mount is not part of any layer,
# and the image keeps the base's bundle.
# Usage: infra/image/build.sh
set -euo pipefail

INFRA_TAG="infra/image"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="$(cd "$IMAGE_DIR/../.." && pwd)"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

build() {
  local -a options=(--network=host --pull=never --layers
    --build-arg "PYTHON_IMAGE=$TODOMESH_BASE_IMAGE"
    --volume "$CA_BUNDLE:$CA_BUNDLE:ro")
  # vfs storage (lib.sh's fallback) goes with chroot isolation.
  [[ "$(storage_driver)" == vfs ]] && options+=(--isolation chroot)
  podman build "${options[@]}" --file "$ROOT/Containerfile" --tag "$TODOMESH_IMAGE" "$ROOT"
}

main() {
  tools_present || die "the image tools are missing: run task infra:build"
  [[ -f "$CONTAINERS_STORAGE_CONF" ]] && podman image exists "$TODOMESH_BASE_IMAGE" ||
    die "$TODOMESH_BASE_IMAGE is missing: run infra/image/base.sh (task infra:build)"
  [[ -f "$CA_BUNDLE" ]] || die "no CA bundle at $CA_BUNDLE (Debian's ca-certificates)"
  local start=$SECONDS previous
  previous="$(podman image inspect --format '{{.Id}}' "$TODOMESH_IMAGE" 2>/dev/null || true)"
  step "podman build $TODOMESH_IMAGE" build
  local current
  current="$(podman image inspect --format '{{.Id}}' "$TODOMESH_IMAGE")"
  # The image this build replaced, untagged now: drop it (not the build cache).
  if [[ -n "$previous" && "$previous" != "$current" ]]; then
    podman image rm "$previous" >/dev/null 2>&1 || true
  fi
  log "done in $((SECONDS - start))s: $TODOMESH_IMAGE ${current:0:12}," \
    "$(podman image inspect --format '{{.Size}}' "$TODOMESH_IMAGE") bytes"
}

main "$@"
