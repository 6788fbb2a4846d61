"""The benchmarks' bookkeeping: percentiles, ratios, the JSON's shape, the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.goals import GOALS
from bench.load.wrk import _summary
from bench.profile import costs
from bench.report import fmt, write_report
from bench.result import figure, floor, problems, throughput_ratio
from bench.runs.common import write_result
from bench.stats import speed, summarize_ms


def _run(figures: dict, quick: bool = False) -> dict:
    machine = {"cores": 2, "memory_mb": 1024, "loadavg_start": [0.1, 0.2, 0.3]}
    return {
        "mode": "embedded",
        "quick": quick,
        "started_at": "2027-01-04T09:00:00+00:00",
        "wall_seconds": 1.0,
        "git_commit": "0123456789abcdef",
        "machine": machine,
        "figures": figures,
    }


def _writes(rate: float, floor_rate: float) -> dict:
    mine = {"requests_per_s": rate, **summarize_ms([0.010, 0.020, 0.030])}
    theirs = {"requests_per_s": floor_rate, **summarize_ms([0.001, 0.002, 0.003])}
    ratio = throughput_ratio(mine, theirs)
    return figure("Writes", "a -> b", mine, floors={"flask_sqlite": floor("floor", theirs, ratio)})


def test_percentiles_are_nearest_rank_in_milliseconds() -> None:
    summary = summarize_ms([i / 1000 for i in range(1, 101)])
    assert summary is not None
    assert (summary["count"], summary["p50_ms"], summary["p95_ms"], summary["p99_ms"]) == (
        100,
        50.0,
        95.0,
        99.0,
    )
    assert summarize_ms([]) is None


def test_ratios_read_as_speed_for_rates_and_latencies_alike() -> None:
    assert speed(100, 400, lower_is_better=False) == 0.25
    assert speed(40, 10, lower_is_better=True) == 0.25
    assert speed(None, 10, lower_is_better=True) is None


def test_a_missing_figure_or_an_unexplained_null_is_reported() -> None:
    good = _run({"writes": _writes(100, 400)})
    assert problems(good, ["writes"]) == []
    assert problems(good, ["writes", "rss"]) == ["figure 'rss' is missing"]
    unexplained = _run({"writes": dict(_writes(100, 400), todomesh=None, reason=None)})
    assert "writes: todomesh is null without a reason" in problems(unexplained, ["writes"])
    failed = figure("Writes", "a", None, reason="EMFILE", floor_reason="none: no WebSocket")
    explained = _run({"writes": failed})
    assert problems(explained, ["writes"]) == []
    no_p99 = _writes(100, 400)
    del no_p99["todomesh"]["p99_ms"]
    assert "writes: todomesh: p99_ms is not a number" in problems(_run({"writes": no_p99}), [])


def test_wrk_output_becomes_a_rate_and_percentiles() -> None:
    raw = {"requests": 2000, "duration_us": 2_000_000, "connect_errors": 0, "read_errors": 0}
    raw |= {"write_errors": 0, "status_errors": 100, "timeouts": 0, "p50_us": 1500}
    raw |= {"p95_us": 4000, "p99_us": 9000, "mean_us": 2000.0, "max_us": 12000}
    summary = _summary(raw)
    assert summary["requests_per_s"] == 950.0  # the 100 non-2xx answers are not counted
    assert (summary["p50_ms"], summary["p99_ms"], summary["count"]) == (1.5, 9.0, 2000)


def test_self_and_inclusive_costs_come_from_the_flame_graph_frames() -> None:
    def frame(label: str, depth: int, x: int, w: int) -> str:
        rect = f'<rect x="0%" y="{depth * 16}" width="1%" height="15" fg:x="{x}" fg:w="{w}"/>'
        return f"<g><title>{label} (9 samples, 1%)</title>{rect}</g>"

    svg = '<g id="frames" total_samples="100">' + "".join(
        [
            frame("all", 0, 0, 100),
            frame("step (functions/runtime/dispatcher.py:67)", 1, 0, 60),
            frame("_begin (functions/shared/db.py:95)", 2, 0, 30),
            frame("token_hex (secrets.py:40)", 2, 30, 10),
            frame("create (functions/todo/api.py:38)", 1, 60, 40),
            frame("_begin (functions/shared/db.py:95)", 2, 60, 25),
        ]
    )
    found = costs(svg, top=2)
    assert found["samples"] == 100
    assert found["top_self"] == [
        {"function": "_begin (functions/shared/db.py:95)", "percent": 55.0},
        {"function": "step (functions/runtime/dispatcher.py:67)", "percent": 20.0},
    ]
    assert found["top_own_code_inclusive"][0] == {
        "function": "step (functions/runtime/dispatcher.py:67)",
        "percent": 60.0,
    }


def test_the_report_shows_the_latest_full_run_against_the_goals(tmp_path: Path) -> None:
    results, report = tmp_path / "results", tmp_path / "REPORT.md"
    write_result(_run({"writes": _writes(100, 400)}), results)
    quick = dict(_run({"writes": _writes(1, 400)}, quick=True), started_at="2027-01-05T00:00:00")
    write_result(quick, results)
    report.write_text("# Report\n\nnotes kept\n<!-- figures:start -->\nold\n<!-- figures:end -->\n")
    write_report(report, results)
    text = report.read_text()
    assert "notes kept" in text and "old" not in text
    assert (
        "| Writes, embedded: >= 0.35x the SQLite floor | embedded | 0.25x the floor | **no** |"
        in text
    )
    assert "100 req/s" in text and "1 req/s" not in text


def test_the_drain_goal_reads_each_consumer_alone_and_shows_all_three_at_once() -> None:
    def app(rate: float) -> dict[str, Any]:
        return {"events_per_s": rate, "handled": 10000, "expected": 10000}

    together = {"apps": {"audit": app(600.0), "hub": app(550.0)}, "slowest_events_per_s": 550.0}
    drained = {"apps": {"audit": app(2000.0), "hub": app(1200.0)}, "slowest_events_per_s": 1200.0}
    figures = {"backlog_drain": {"todomesh": drained | {"together": together}}}
    goal = next(g for g in GOALS if g.text.startswith("Consumers"))
    assert goal.check(figures) == (
        "slowest consumer 1200.0 events/s alone; 550.0 with all three draining at once",
        True,
    )
    cell = fmt(figures["backlog_drain"]["todomesh"])
    assert cell.index("each alone") < cell.index("hub: 1200.0") < cell.index("all three at once")
    assert cell.endswith("hub: 550.0 events/s (10000/10000)")
