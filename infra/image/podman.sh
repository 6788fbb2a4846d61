#!/usr/bin/env bash
# podman with todomesh's configuration and image storage (infra/image/lib.sh), e.g.
#   infra/image/podman.sh images
#   infra/image/podman.sh run --rm -p 127.0.0.1:8080:8080 -e FUNCTION_TARGET=audit IMAGE
# (IMAGE: TODOMESH_IMAGE in image.env)
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -f "$CONTAINERS_STORAGE_CONF" ]] || die "no image storage in $CONTAINERS_DIR yet: run task image"
exec podman "$@"
