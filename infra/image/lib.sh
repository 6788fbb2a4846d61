#!/usr/bin/env bash
# Shared by the image scripts: the image names, podman's configuration and the
# image storage, all inside the todomesh cache. Source it; do not run it.
#
#   CONTAINERS_CONF          infra/image/containers.conf (this machine's quirks)
#   CONTAINERS_STORAGE_CONF  $TODOMESH_CACHE/containers/storage.conf, written once:
#                            graphroot and runroot under $TODOMESH_CACHE/containers,
#                            driver overlay, or vfs when overlay does not work here

IMAGE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$IMAGE_DIR/../lib.sh"
# shellcheck source=image.env
source "$IMAGE_DIR/image.env"

CONTAINERS_DIR="$TODOMESH_CACHE/containers"
export CONTAINERS_CONF="$IMAGE_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$CONTAINERS_DIR/storage.conf"

# The commands the image steps use, and the Debian packages that bring them.
IMAGE_TOOLS=(podman buildah runc mmdebstrap newuidmap fuse-overlayfs)
IMAGE_PACKAGES=(podman buildah runc mmdebstrap uidmap fuse-overlayfs)

tools_present() {
  local tool
  for tool in "${IMAGE_TOOLS[@]}"; do
    command -v "$tool" >/dev/null || return 1
  done
}

write_storage_conf() {
  mkdir -p "$CONTAINERS_DIR"
  cat >"$CONTAINERS_STORAGE_CONF.tmp" <<CONF
# Written by infra/image/lib.sh: the image storage of todomesh, inside its cache.
[storage]
driver = "$1"
graphroot = "$CONTAINERS_DIR/storage"
runroot = "$CONTAINERS_DIR/run"
CONF
  mv "$CONTAINERS_STORAGE_CONF.tmp" "$CONTAINERS_STORAGE_CONF"
}

# storage_driver: the driver storage.conf names (empty before the first write).
storage_driver() {
  sed -n 's/^driver = "\(.*\)"$/\1/p' "$CONTAINERS_STORAGE_CONF" 2>/dev/null || true
}

# ensure_storage: write storage.conf on first use. overlay's driver mounts a test
# overlay when it starts, so `podman info` failing on it means overlay cannot work
# here; then vfs, which copies every layer (slow and large) but works anywhere.
ensure_storage() {
  [[ -f "$CONTAINERS_STORAGE_CONF" ]] && return 0
  write_storage_conf overlay
  if ! podman info >/dev/null 2>"$CONTAINERS_DIR/overlay-probe.err"; then
    log "overlay storage does not work here ($(tail -n 1 "$CONTAINERS_DIR/overlay-probe.err")); using vfs"
    rm -rf "$CONTAINERS_DIR/storage" "$CONTAINERS_DIR/run"
    write_storage_conf vfs
  fi
  rm -f "$CONTAINERS_DIR/overlay-probe.err"
  log "image storage: $(storage_driver) in $CONTAINERS_DIR"
}
