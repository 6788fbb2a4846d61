"""`task bench:dapr -- --quick` runs end to end on real daprd, Kafka and PostgreSQL and
measures every figure, with all four floors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.result import problems
from bench.runs import FIGURES
from functions.launcher.binaries import DaprBinaries
from tests.support.bench import require_tools, run_quick, unmeasured

pytestmark = pytest.mark.integration


def test_the_quick_dapr_run_writes_every_figure_well_formed(
    dapr_binaries: DaprBinaries, tmp_path: Path
) -> None:
    require_tools("wrk", "pgbench")
    result = run_quick("dapr", tmp_path, timeout=600)
    assert result["mode"] == "dapr" and result["quick"] is True
    assert problems(result, list(FIGURES)) == []
    assert unmeasured(result) == {}
    floors = result["figures"]["writes"]["floors"]
    assert set(floors) == {"flask_pg", "flask_pg_daprd", "pgbench", "kafka_producer"}
