#!/usr/bin/env bash
# Build daprd and scheduler from the github.com/dapr/dapr Go module at a pinned
# version into $TODOMESH_CACHE/dapr/<version>/. A second run is a no-op.
#
# Why not `go install ...@v`: dapr's go.mod has replace directives (dapr/dapr#8872),
# so we build inside a writable copy of the downloaded module instead.
# Why allcomponents: bindings.smtp is only registered under that tag (checked in
# cmd/daprd/components/bindings_smtp.go); stablecomponents lacks it.
# Usage: infra/dapr/build.sh [--check]   (--check: exit 0 when already done, 1 otherwise)
set -euo pipefail

INFRA_TAG="infra/dapr"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# 1.16.0 is the newest 1.16.x whose whole dependency set the Go proxy here serves
# and the checksum DB verifies: 1.16.1/3/4/6/7/9-19 are 403 on the proxy, 1.16.8 is
# missing from sum.golang.org, 1.16.5 needs go-etcd-cron v0.9.2 (403) and 1.16.2
# needs components-contrib v1.16.3 (403). Override with DAPR_VERSION=x.y.z.
DAPR_VERSION="${DAPR_VERSION:-1.16.0}"
DAPR_TAGS="${DAPR_TAGS:-allcomponents}"
OUT="$TODOMESH_CACHE/dapr/$DAPR_VERSION"
SRC="$TODOMESH_CACHE/dapr/src/$DAPR_VERSION"

# Keep Go's module and build caches under the todomesh cache too (self-contained,
# removable with one rm -rf), unless the caller chose otherwise.
export GOMODCACHE="${TODOMESH_GOMODCACHE:-$TODOMESH_CACHE/go/mod}"
export GOCACHE="${TODOMESH_GOCACHE:-$TODOMESH_CACHE/go/build}"
export GOFLAGS="-modcacherw -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

built() {
  [[ -x "$OUT/daprd" && -x "$OUT/scheduler" && -f "$OUT/.complete" ]]
}

fetch_source() {
  local dir
  dir="$(go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))')"
  rm -rf "$SRC.tmp"
  mkdir -p "$(dirname "$SRC")"
  cp -r "$dir" "$SRC.tmp"
  chmod -R u+w "$SRC.tmp"
  rm -rf "$SRC"
  mv "$SRC.tmp" "$SRC"
}

# Go 1.25+ no longer assembles github.com/choleraehyq/pid before v0.0.24 (pulled in
# by bindings.kitex through cloudwego/kitex): "expected pseudo-register; found R13".
# Raise it to the first release that knows Go 1.26, in our copy only.
PID_MODULE="github.com/choleraehyq/pid"
PID_MIN="v0.0.24"

version_lt() {
  [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" == "$1" ]]
}

patch_for_go_toolchain() {
  local current
  current="$(cd "$SRC" && go list -m -f '{{.Version}}' "$PID_MODULE" 2>/dev/null || true)"
  if [[ -n "$current" ]] && version_lt "$current" "$PID_MIN"; then
    log "raising $PID_MODULE $current -> $PID_MIN for $(go env GOVERSION)"
    (cd "$SRC" && go get "$PID_MODULE@$PID_MIN")
  fi
}

# Download only the modules the two commands import (not the whole graph).
download_deps() {
  (cd "$SRC" && go list -deps -tags "$DAPR_TAGS" ./cmd/daprd ./cmd/scheduler >/dev/null)
}

build_binary() {
  local name="$1" tags="$2"
  local ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION"
  mkdir -p "$OUT"
  (cd "$SRC" && go build -trimpath -tags "$tags" -ldflags "$ldflags" \
    -o "$OUT/$name.tmp" "./cmd/$name")
  mv "$OUT/$name.tmp" "$OUT/$name"
}

main() {
  if [[ "${1:-}" == "--check" ]]; then
    built
    return
  fi
  local start=$SECONDS
  if built; then
    log "daprd + scheduler $DAPR_VERSION cached in $OUT (0s)"
    return 0
  fi
  command -v go >/dev/null || die "go is not on PATH"
  log "building dapr $DAPR_VERSION (tags: $DAPR_TAGS) into $OUT"
  [[ -f "$SRC/go.mod" ]] || step "fetch dapr module source" fetch_source
  step "patch for the Go toolchain" patch_for_go_toolchain
  step "download dependencies" download_deps
  step "build daprd" build_binary daprd "$DAPR_TAGS"
  step "build scheduler" build_binary scheduler ""
  touch "$OUT/.complete"
  log "done in $((SECONDS - start))s: $OUT/daprd $OUT/scheduler"
}

main "$@"
