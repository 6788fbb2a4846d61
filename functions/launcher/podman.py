"""podman with the project's configuration, and the images `task image` builds.

Every call goes through `infra/image/podman.sh`: podman pointed at the image
storage in the todomesh cache and at this machine's containers.conf (runc,
rlimits). The image names are those of `infra/image/image.env`.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from functions.launcher.binaries import INFRA, MissingInfrastructure

PODMAN = INFRA / "image" / "podman.sh"
# A container on slirp4netns with allow_host_loopback reaches the host's 127.0.0.1 here.
HOST_LOOPBACK = "10.0.2.2"
NETWORK = "slirp4netns:allow_host_loopback=true"
_LOOPBACK = re.compile(r"(^|[/@])(?:127\.0\.0\.1|localhost)(?=[:/]|$)")


class PodmanError(RuntimeError):
    """A podman command failed; the message carries its output."""


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run podman with the project's configuration; PodmanError with its output if it fails."""
    result = subprocess.run(
        [str(PODMAN), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise PodmanError(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def image_names() -> dict[str, str]:
    """`TODOMESH_IMAGE` and `TODOMESH_BASE_IMAGE`, as infra/image/image.env names them."""
    lines = (INFRA / "image" / "image.env").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def require_image(name: str) -> str:
    """`name` if podman and the image are here; MissingInfrastructure otherwise."""
    if shutil.which("podman") is None:
        raise MissingInfrastructure("podman is not installed: run `task infra:build`")
    try:
        podman("image", "exists", name)
    except PodmanError as error:
        raise MissingInfrastructure(f"image {name} is missing: run `task image`") from error
    return name


def loopback_to_host(address: str) -> str:
    """`address` (a host, host:port or URL) with a loopback host replaced by the host's
    loopback as a container sees it."""
    return _LOOPBACK.sub(rf"\g<1>{HOST_LOOPBACK}", address)
