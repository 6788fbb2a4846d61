"""What both runs share: the run's identity, one figure at a time, and the JSON it writes."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.result import failed
from bench.sizes import Sizes
from bench.targets import REPO


@dataclass
class Run:
    mode: str
    sizes: Sizes
    work: Path
    run_id: str = field(default_factory=lambda: f"b{uuid.uuid4().hex[:8]}")
    figures: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the profile
    started: float = field(default_factory=time.time)
    machine: dict[str, Any] = field(default_factory=lambda: machine())
    commit: str = field(default_factory=lambda: git_commit())

    def user(self, role: str) -> str:
        return f"{self.run_id}-{role}"

    def measure(self, keys: list[str], what: str, take: Callable[[], dict[str, Any]]) -> None:
        """Take the figures `keys` (`take()` returns them by key); a failure becomes each
        figure's reason instead of ending the run."""
        say(f"{', '.join(keys)}: {what}")
        began = time.monotonic()
        try:
            taken = take()
        except Exception as error:
            traceback.print_exc()
            taken = {key: failed(key, what, error, {}) for key in keys}
        for key in keys:
            self.figures[key] = taken.get(key) or failed(key, what, KeyError(key), {})
        say(f"{', '.join(keys)}: done in {time.monotonic() - began:.0f}s")

    def result(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "quick": self.sizes.quick,
            "run_id": self.run_id,
            "started_at": datetime.fromtimestamp(self.started, UTC).isoformat(),
            "wall_seconds": round(time.time() - self.started, 1),
            "git_commit": self.commit,
            "machine": self.machine,
            "sizes": self.sizes.__dict__,
            "figures": self.figures,
            **self.extra,
        }


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_mb": round(psutil.virtual_memory().total / 2**20),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }


def git_commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def raise_open_files_limit() -> int:
    """Raise this process's (and its children's) soft limit on open files to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def write_result(result: dict[str, Any], results: Path) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    stamp = result["started_at"][:19].replace(":", "").replace("-", "")
    name = f"{result['mode']}{'-quick' if result['quick'] else ''}-{stamp}.json"
    path = results / name
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
