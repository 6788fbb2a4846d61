#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is at /usr/bin/chromium for the
# browser tests (Playwright launches it with executable_path; `playwright install`
# downloads its own browser builds, which this project does not use).
# Installs the `chromium` package only when the binary is missing; a second run is a no-op.
# `install.sh --check` only answers: exit 0 when Chromium is there, 1 when it is not.
set -euo pipefail

INFRA_TAG="infra/chromium"
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CHROMIUM="${TODOMESH_CHROMIUM:-/usr/bin/chromium}"

present() {
  [[ -x "$CHROMIUM" ]] && "$CHROMIUM" --version >/dev/null 2>&1
}

main() {
  if [[ "${1:-}" == "--check" ]]; then
    present
    return
  fi
  if present; then
    log "$("$CHROMIUM" --version 2>/dev/null) present at $CHROMIUM (0s)"
    return 0
  fi
  [[ $EUID -eq 0 ]] || die "chromium is missing; run: sudo apt-get install -y chromium"
  step "apt-get install chromium" apt_install --no-install-recommends chromium fonts-liberation
  [[ -x "$CHROMIUM" ]] || die "chromium installed but $CHROMIUM is missing"
  log "$("$CHROMIUM" --version 2>/dev/null) installed at $CHROMIUM"
}

main "$@"
