#!/usr/bin/env bash
# Shared helpers for the infra scripts: cache location and timed, logged steps.
# Source it; do not run it.

TODOMESH_CACHE="${TODOMESH_CACHE:-$HOME/.cache/todomesh}"
export TODOMESH_CACHE
INFRA_TAG="${INFRA_TAG:-infra}"
HEARTBEAT_SECONDS="${HEARTBEAT_SECONDS:-30}"

log() {
  printf '[%s] %s\n' "$INFRA_TAG" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# step NAME CMD...: run CMD, print the step name, a heartbeat while it runs
# and the elapsed seconds when it ends. Fails the script if CMD fails.
step() {
  local name="$1"
  shift
  local start=$SECONDS
  log "step '$name': start"
  "$@" &
  local pid=$!
  while ! wait_with_timeout "$pid" "$HEARTBEAT_SECONDS"; do
    log "step '$name': still running ($((SECONDS - start))s)"
  done
  local rc=0
  wait "$pid" || rc=$?
  if [[ $rc -ne 0 ]]; then
    die "step '$name' failed (exit $rc) after $((SECONDS - start))s"
  fi
  log "step '$name': done in $((SECONDS - start))s"
}

# wait_with_timeout PID SECONDS: 0 once PID has exited, 1 if still alive after SECONDS.
wait_with_timeout() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    if [[ $SECONDS -ge $deadline ]]; then
      return 1
    fi
    sleep 0.2
  done
  return 0
}

# apt_install [APT-OPTION...] PACKAGE...: apt-get update + install, as root, one
# script at a time: the infra steps run in parallel, and apt-get fails at once on
# a lock that another apt-get holds.
apt_install() {
  [[ $EUID -eq 0 ]] || die "missing packages; run: sudo apt-get install -y $*"
  mkdir -p "$TODOMESH_CACHE"
  (
    flock 9
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q -o DPkg::Lock::Timeout=300 "$@"
  ) 9>"$TODOMESH_CACHE/apt.lock"
}
