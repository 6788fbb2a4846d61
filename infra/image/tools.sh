#!/usr/bin/env bash
# Make sure podman, buildah, runc and mmdebstrap are installed (Debian packages),
# the tools that build and run the image without an image registry, and that the
# image storage in the todomesh cache is configured (lib.sh: overlay, else vfs).
# Installs only what is missing; a second run is a no-op.
# Usage: infra/image/tools.sh [--check]   (--check: exit 0 when already done, 1 otherwise)
set -euo pipefail

INFRA_TAG="infra/image"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
  if [[ "${1:-}" == "--check" ]]; then
    tools_present && [[ -f "$CONTAINERS_STORAGE_CONF" ]]
    return
  fi
  if tools_present; then
    log "the image tools are present (0s)"
  else
    step "apt-get install ${IMAGE_PACKAGES[*]}" apt_install "${IMAGE_PACKAGES[@]}"
    tools_present || die "installed ${IMAGE_PACKAGES[*]}, but one of ${IMAGE_TOOLS[*]} is missing"
  fi
  ensure_storage
  log "$(podman --version), storage driver $(storage_driver)"
}

main "$@"
