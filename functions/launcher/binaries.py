"""Where `task infra` (infra/*.sh) leaves the binaries, and whether they are there."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from functions.runtime.resources import REPO_ROOT

INFRA = REPO_ROOT / "infra"
HINT = "run `task infra` (or `task infra:build`) to build and cache it"


class MissingInfrastructure(RuntimeError):
    """A binary or jar the tests need is not in the cache."""


def cache_dir() -> Path:
    return Path(os.environ.get("TODOMESH_CACHE") or Path.home() / ".cache" / "todomesh")


def _pinned(path: Path, pattern: str) -> str:
    match = re.search(pattern, path.read_text())
    if not match:
        raise RuntimeError(f"no pinned version found in {path}")
    return match.group(1)


def dapr_version() -> str:
    return os.environ.get("DAPR_VERSION") or _pinned(
        INFRA / "dapr" / "build.sh", r'DAPR_VERSION="\$\{DAPR_VERSION:-([^}]+)\}"'
    )


def kafka_version() -> str:
    return _pinned(INFRA / "kafka" / "pom.xml", r"<kafka.version>([^<]+)</kafka.version>")


@dataclass(frozen=True)
class DaprBinaries:
    version: str
    daprd: Path
    scheduler: Path


def dapr_binaries() -> DaprBinaries:
    version = dapr_version()
    home = cache_dir() / "dapr" / version
    found = DaprBinaries(version, home / "daprd", home / "scheduler")
    for binary in (found.daprd, found.scheduler):
        if not os.access(binary, os.X_OK):
            raise MissingInfrastructure(f"Dapr {version}: {binary} is missing; {HINT}")
    return found


def kafka_libs() -> Path:
    libs = cache_dir() / "kafka" / kafka_version() / "libs"
    if not (libs.parent / ".complete").exists():
        raise MissingInfrastructure(f"Kafka jars are missing in {libs}; {HINT}")
    return libs


def postgres_bin() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if not found:
        raise MissingInfrastructure(f"PostgreSQL server binaries (initdb) are missing; {HINT}")
    return found[-1].parent
