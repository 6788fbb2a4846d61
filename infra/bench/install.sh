#!/usr/bin/env bash
# The benchmarks' own tools (`task bench`, `task bench:dapr`):
#   - wrk, the closed-loop HTTP load generator, from Debian's packages;
#   - Kafka's tools jar (ProducerPerformance) from Maven Central into
#     $TODOMESH_CACHE/kafka/<version>/tools, beside the broker's jars.
# pgbench comes with the PostgreSQL client (infra/postgres/install.sh).
# Usage: infra/bench/install.sh [--check]   (--check: exit 0 when already done, 1 otherwise)
set -euo pipefail

INFRA_TAG="infra/bench"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$HERE/../lib.sh"

POM="$HERE/pom.xml"
# One pin for the broker and its tools: infra/kafka/pom.xml's.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/../kafka/pom.xml")"
OUT="$TODOMESH_CACHE/kafka/$KAFKA_VERSION/tools"
M2_REPO="${TODOMESH_M2_REPO:-$TODOMESH_CACHE/m2}"

have_wrk() {
  command -v wrk >/dev/null
}

have_tools_jar() {
  compgen -G "$OUT/kafka-tools-$KAFKA_VERSION.jar" >/dev/null
}

copy_tools_jar() {
  rm -rf "$OUT.tmp"
  mvn -q -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$M2_REPO" \
    -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$OUT.tmp"
  rm -rf "$OUT"
  mv "$OUT.tmp" "$OUT"
}

main() {
  if [[ "${1:-}" == "--check" ]]; then
    have_wrk && have_tools_jar
    return
  fi
  if have_wrk; then
    log "wrk present: $(command -v wrk) (0s)"
  else
    [[ $EUID -eq 0 ]] || die "wrk is missing; run: sudo apt-get install -y wrk"
    # apt_install takes the cache's apt lock: the infra steps run in parallel
    step "apt-get install wrk" apt_install --no-install-recommends wrk
  fi
  if have_tools_jar; then
    log "kafka-tools $KAFKA_VERSION cached in $OUT (0s)"
  else
    command -v mvn >/dev/null || die "mvn is not on PATH"
    mkdir -p "$(dirname "$OUT")"
    step "copy kafka-tools $KAFKA_VERSION" copy_tools_jar
  fi
}

main "$@"
