#!/usr/bin/env bash
# axe-core from npm for the browser tests' accessibility audit, into
# $TODOMESH_CACHE/npm/node_modules/axe-core (never into the repo). A second run is a no-op.
# `install.sh --check` only answers: exit 0 when the pinned version is there, 1 when not.
set -euo pipefail

INFRA_TAG="infra/axe"
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

AXE_VERSION="${AXE_VERSION:-4.14.1}"
PREFIX="$TODOMESH_CACHE/npm"
PACKAGE="$PREFIX/node_modules/axe-core"

present() {
  [[ -f "$PACKAGE/axe.min.js" ]] &&
    grep -q "\"version\": \"$AXE_VERSION\"" "$PACKAGE/package.json" 2>/dev/null
}

main() {
  if [[ "${1:-}" == "--check" ]]; then
    present
    return
  fi
  if present; then
    log "axe-core $AXE_VERSION present in $PACKAGE (0s)"
    return 0
  fi
  command -v npm >/dev/null || die "npm is not on PATH (Node.js is needed for axe-core)"
  mkdir -p "$PREFIX"
  step "npm install axe-core@$AXE_VERSION" \
    npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --no-package-lock \
    "axe-core@$AXE_VERSION"
  present || die "axe-core $AXE_VERSION did not land in $PACKAGE"
  log "axe-core $AXE_VERSION installed in $PACKAGE"
}

main "$@"
