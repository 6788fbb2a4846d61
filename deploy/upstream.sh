#!/usr/bin/env bash
# upstream.sh [DIR]: fetch the two upstream schemas that no registry here serves
# into DIR (default: ../shared/upstream beside the checkout, where the deploy tests
# read them), at the commits /work/shared/upstream/README.md names, and check
# their sha256. For checkouts without that folder, such as GitHub's runners; the
# files never go into the repository.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/../shared/upstream}"
RAW=https://raw.githubusercontent.com

# name  repository@commit/path  sha256
FILES=(
  "func_yaml-schema.json knative/func/c18d6045a1b0cb6c2b411f03082ab9ed20ba90b3/schema/func_yaml-schema.json b7c59580bb4a21d155425d63524297aaf43e01e5c49fcfa622f797fd261634c9"
  "kafka-source-crd.yaml knative-extensions/eventing-kafka-broker/7d8fe89f4b5ef86c0b59ccf82613ec9ce1118438/control-plane/config/eventing-kafka-broker/100-source/100-kafka-source.yaml 7e45f5706d6cd3933b54d787e0a4587c4b345d328c640d811b4651b77247cd09"
)

mkdir -p "$DIR"
for entry in "${FILES[@]}"; do
  read -r name source sha <<<"$entry"
  if [[ ! -f "$DIR/$name" ]]; then
    curl -fsSL --retry 3 -o "$DIR/$name.tmp" "$RAW/$source"
    mv "$DIR/$name.tmp" "$DIR/$name"
  fi
  echo "$sha  $DIR/$name" | sha256sum --check --quiet
  echo "[deploy/upstream] $DIR/$name" >&2
done
