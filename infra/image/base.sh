#!/usr/bin/env bash
# Make the image's base from Debian packages, with no image registry: a minimal
# bookworm root filesystem with python3, python3-venv and ca-certificates, built
# by mmdebstrap from the Debian mirrors this machine's apt already uses, then
# imported into the project's podman storage as TODOMESH_BASE_IMAGE (image.env).
# A second run is a no-op.
# Usage: infra/image/base.sh [--check]   (--check: exit 0 when already done, 1 otherwise)
set -euo pipefail

INFRA_TAG="infra/image"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates
WORK="$TODOMESH_CACHE/image"
ROOTFS="$WORK/$SUITE-rootfs.tar"

built() {
  [[ -f "$CONTAINERS_STORAGE_CONF" ]] && podman image exists "$TODOMESH_BASE_IMAGE"
}

# debian_sources: one sources.list line per repository of the suite (the release,
# -updates and -security) that apt here is configured with, read by apt itself
# from /etc/apt/sources.list and sources.list.d (one-line and deb822 files alike).
debian_sources() {
  apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' \
    'Identifier: Packages' |
    awk -v suite="$SUITE" '$1 == "deb" && $3 ~ "^" suite "(-updates|-security)?$" {
      key = $2 " " $3
      if (!(key in comps)) { order[++n] = key; comps[key] = $4 }
      else if (index(" " comps[key] " ", " " $4 " ") == 0) comps[key] = comps[key] " " $4
    }
    END { for (i = 1; i <= n; i++) print "deb " order[i] " " comps[order[i]] }'
}

# rootfs SOURCES: the root filesystem as a tarball. Documentation, man pages and
# translations are left out (copyright files stay), as Debian's slim images do;
# the host's resolv.conf and hostname, which mmdebstrap copies in, are removed
# (podman provides both when a container starts).
rootfs() {
  local sources="$1"
  mkdir -p "$WORK"
  rm -rf "$ROOTFS" "$ROOTFS.tmp"
  local -a mirrors
  mapfile -t mirrors <<<"$sources"
  mmdebstrap --mode=root --variant=minbase --format=tar --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"' \
    "$SUITE" "$ROOTFS.tmp" "${mirrors[@]}"
  mv "$ROOTFS.tmp" "$ROOTFS"
}

# import_rootfs: without PATH, the Containerfile's RUN steps would find no tools.
import_rootfs() {
  podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    "$ROOTFS" "$TODOMESH_BASE_IMAGE" >/dev/null
  rm -f "$ROOTFS"
}

main() {
  if [[ "${1:-}" == "--check" ]]; then
    built
    return
  fi
  tools_present || die "the image tools are missing: run infra/image/tools.sh (task infra:build)"
  ensure_storage
  if built; then
    log "$TODOMESH_BASE_IMAGE present in $CONTAINERS_DIR (0s)"
    return 0
  fi
  [[ $EUID -eq 0 ]] || die "mmdebstrap --mode=root needs root"
  local start=$SECONDS sources
  sources="$(debian_sources)"
  [[ -n "$sources" ]] || die "apt here has no Debian $SUITE repository configured"
  log "making $TODOMESH_BASE_IMAGE from: $(tr '\n' ';' <<<"$sources")"
  step "mmdebstrap $SUITE minbase + $PACKAGES" rootfs "$sources"
  step "podman import $TODOMESH_BASE_IMAGE" import_rootfs
  log "done in $((SECONDS - start))s: $TODOMESH_BASE_IMAGE, $(podman image inspect --format '{{.Size}}' "$TODOMESH_BASE_IMAGE") bytes"
}

main "$@"
