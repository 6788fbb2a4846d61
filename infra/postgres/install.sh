#!/usr/bin/env bash
# Make sure the PostgreSQL server binaries (initdb, pg_ctl, postgres) exist.
# Installs Debian's `postgresql` package only when they are missing. We never use
# the system cluster: infra/services.sh and the test fixtures run their own.
# Usage: infra/postgres/install.sh [--check]   (--check: exit 0 when already done, 1 otherwise)
set -euo pipefail

INFRA_TAG="infra/postgres"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

installed_bin_dir() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 | xargs -r dirname
}

main() {
  local bin
  bin="$(installed_bin_dir)"
  if [[ "${1:-}" == "--check" ]]; then
    [[ -n "$bin" ]]
    return
  fi
  if [[ -n "$bin" ]]; then
    log "postgresql server binaries present in $bin (0s)"
    return 0
  fi
  [[ $EUID -eq 0 ]] || die "postgresql is missing; run: sudo apt-get install -y postgresql"
  step "apt-get install postgresql" apt_install --no-install-recommends postgresql
  bin="$(installed_bin_dir)"
  [[ -n "$bin" ]] || die "postgresql installed but no initdb under /usr/lib/postgresql"
  log "postgresql server binaries in $bin"
}

main "$@"
