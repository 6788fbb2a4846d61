"""`task bench -- --quick` (the embedded mode) runs end to end and measures every figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.result import problems
from bench.runs import FIGURES
from tests.support.bench import require_tools, run_quick, unmeasured

pytestmark = pytest.mark.e2e


def test_the_quick_embedded_run_writes_every_figure_well_formed(tmp_path: Path) -> None:
    require_tools("wrk")
    result = run_quick("embedded", tmp_path, timeout=300)
    assert result["mode"] == "embedded" and result["quick"] is True
    assert problems(result, list(FIGURES)) == []
    assert unmeasured(result) == {}
    assert set(result["figures"]) == set(FIGURES)
