"""The pod platform for tests: the image's apps in podman pods, on the test services.

`tests/integration/conftest.py` runs a story marked `each_platform` twice, on the
self-hosted platform and on this one (`pods` marker). Everything the pods need
that may be missing (podman, root, the image and its base, daprd) skips the test,
or fails it under CI=true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from functions.launcher.binaries import DaprBinaries, MissingInfrastructure
from functions.launcher.platform import Addresses
from functions.launcher.podman import HOST_LOOPBACK
from functions.launcher.pods import PodPlatform, pod_images
from tests.support.plugin import infrastructure_missing
from tests.support.services import KafkaBroker

PLATFORMS = ("selfhosted", pytest.param("pods", marks=pytest.mark.pods))


def required_images() -> tuple[str, str]:
    """The app image and daprd's base image, or a skip (a failure under CI=true)."""
    try:
        return pod_images()
    except MissingInfrastructure as error:
        infrastructure_missing(error)


def pod_platform(
    addresses: Addresses,
    work_dir: Path,
    broker: KafkaBroker,
    binaries: DaprBinaries,
    **kwargs: Any,
) -> PodPlatform:
    """A PodPlatform (not started) on these services: the pods reach `broker` on its
    listener for containers."""
    return PodPlatform(
        addresses,
        work_dir,
        pod_kafka_brokers=f"{HOST_LOOPBACK}:{broker.pod_port}",
        binaries=binaries,
        images=required_images(),
        **kwargs,
    )
