"""Run the benchmarks' quick mode (`python -m bench <mode> --quick`) as CI does, and read
the JSON it wrote; the tests then check its shape, never its timings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.plugin import infrastructure_missing

REPO = Path(__file__).resolve().parents[2]


def require_tools(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            infrastructure_missing(RuntimeError(f"{tool} is missing; run `task infra:build:bench`"))


def run_quick(mode: str, out: Path, timeout: float) -> dict[str, Any]:
    results, report = out / "results", out / "REPORT.md"
    argv = [sys.executable, "-m", "bench", mode, "--quick"]
    argv += ["--results-dir", str(results), "--report", str(report)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    written = sorted(results.glob(f"{mode}-quick-*.json"))
    assert written, f"no results written (exit {done.returncode}):\n{done.stderr[-4000:]}"
    assert done.returncode == 0, (
        f"malformed figures (exit {done.returncode}):\n{done.stderr[-4000:]}"
    )
    assert not report.exists(), "a quick run must not write the report"
    result: dict[str, Any] = json.loads(written[-1].read_text())
    return result


def unmeasured(result: dict[str, Any]) -> dict[str, str]:
    """The figures the run could not measure, with why: a well-formed null is still a
    benchmark that stopped working (every request refused, say)."""
    return {
        name: str(figure.get("reason"))[:300]
        for name, figure in result["figures"].items()
        if figure.get("todomesh") is None
    }
