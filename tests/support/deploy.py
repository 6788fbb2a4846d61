"""Shared helpers of the deploy tests: where the tools are, rendering, strictness."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("local", "prod", "prod-eventing")


def _strict() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("TODOMESH_DEPLOY_STRICT") == "1"


def missing(message: str) -> NoReturn:
    """Fail (strict) or skip: something a deploy check reads is not there."""
    if _strict():
        pytest.fail(message)
    pytest.skip(message)


def require(path: Path, what: str) -> Path:
    """Return ``path`` if it exists; otherwise fail (strict) or skip."""
    if path.exists():
        return path
    missing(f"{what} not found at {path}; run `task validate` (deploy/tools.sh) first")


@dataclass(frozen=True)
class Tools:
    cache: Path

    @property
    def schemas(self) -> Path:
        return self.cache / "schemas"

    def binary(self, name: str) -> Path:
        return require(self.cache / "bin" / name, name)


def default_tools() -> Tools:
    return Tools(Path(os.environ.get("TODOMESH_CACHE", Path.home() / ".cache" / "todomesh")))


def render(tools: Tools, overlay: str) -> str:
    result = subprocess.run(
        [str(ROOT / "deploy" / "render.sh"), overlay],
        env={**os.environ, "KUSTOMIZE": str(tools.binary("kustomize"))},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build {overlay} failed:\n{result.stderr}"
    return result.stdout


def objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]
