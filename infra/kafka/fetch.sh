#!/usr/bin/env bash
# Copy the Kafka broker's runtime jars from Maven Central into
# $TODOMESH_CACHE/kafka/<version>/libs. A second run is a no-op.
# Usage: infra/kafka/fetch.sh [--check]   (--check: exit 0 when already done, 1 otherwise)
set -euo pipefail

INFRA_TAG="infra/kafka"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$HERE/../lib.sh"

POM="$HERE/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")"
OUT="$TODOMESH_CACHE/kafka/$KAFKA_VERSION"
# Maven's local repository also lives in the todomesh cache, not in ~/.m2.
M2_REPO="${TODOMESH_M2_REPO:-$TODOMESH_CACHE/m2}"

fetched() {
  [[ -f "$OUT/.complete" ]] && compgen -G "$OUT/libs/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

copy_dependencies() {
  rm -rf "$OUT/libs.tmp"
  mvn -q -B -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$M2_REPO" \
    dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$OUT/libs.tmp"
  rm -rf "$OUT/libs"
  mv "$OUT/libs.tmp" "$OUT/libs"
}

main() {
  if [[ "${1:-}" == "--check" ]]; then
    fetched
    return
  fi
  if fetched; then
    log "kafka $KAFKA_VERSION jars cached in $OUT/libs (0s)"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn is not on PATH"
  command -v java >/dev/null || die "java is not on PATH"
  mkdir -p "$OUT"
  step "copy kafka $KAFKA_VERSION runtime jars" copy_dependencies
  touch "$OUT/.complete"
  log "$(find "$OUT/libs" -name '*.jar' | wc -l) jars in $OUT/libs"
}

main "$@"
