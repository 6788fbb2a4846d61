"""bench/REPORT.md: the latest full run of each mode against the goals, and every figure.

The generated part sits between two markers; text outside them (notes on profiles,
say) is kept when the report is regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.goals import GOALS

START, END = "<!-- figures:start -->", "<!-- figures:end -->"
MODES = ("embedded", "dapr")


def latest(results: Path, mode: str) -> dict[str, Any] | None:
    """The newest full (not --quick) run of `mode` in `results`."""
    for path in sorted(results.glob(f"{mode}-*.json"), reverse=True):
        run = json.loads(path.read_text())
        if not run.get("quick"):
            return dict(run, file=path.name)
    return None


def write_report(report: Path, results: Path) -> None:
    runs = {mode: latest(results, mode) for mode in MODES}
    section = f"{START}\n{render(runs)}{END}"
    text = report.read_text() if report.exists() else f"# Benchmark report\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    report.write_text(before + section + after)


def render(runs: dict[str, dict[str, Any] | None]) -> str:
    lines = ["## Runs", "", "| mode | file | commit | cores | memory | load at start | wall |"]
    lines.append("|---|---|---|---|---|---|---|")
    for mode, run in runs.items():
        if run is None:
            lines.append(f"| {mode} | no full run yet | | | | | |")
            continue
        m = run["machine"]
        lines.append(
            f"| {mode} | {run['file']} | {run['git_commit'][:10]} | {m['cores']} |"
            f" {m['memory_mb']} MB | {m['loadavg_start']} | {run.get('wall_seconds')} s |"
        )
    lines += ["", "## Goals", "", "| goal | mode | figure | met |", "|---|---|---|---|"]
    for goal in GOALS:
        for mode in goal.modes:
            run = runs.get(mode)
            value, met = goal.check(run["figures"]) if run else ("no run", None)
            verdict = {True: "yes", False: "**no**", None: "unknown"}[met]
            lines.append(f"| {goal.text} | {mode} | {value} | {verdict} |")
    for mode, run in runs.items():
        if run is not None:
            lines += ["", f"## Figures: {mode}", "", "| figure | todomesh | floor | ratio |"]
            lines.append("|---|---|---|---|")
            lines += [_row(fig) for fig in run["figures"].values()]
            lines += _profile(mode, run.get("profile"))
    return "\n".join(lines) + "\n"


def _profile(mode: str, profile: dict[str, Any] | None) -> list[str]:
    """The costliest functions of the profiled write load, when the run was profiled."""
    recorded = (profile or {}).get("write_load") or {}
    if not recorded.get("top_self"):
        return []
    lines = ["", f"### Profile under write load: {mode} ({recorded.get('svg')})", ""]
    lines += [f"Shares of {recorded['samples']} thread samples (waiting threads included).", ""]
    lines += ["| where samples stop (self) | % | own code, inclusive | % |", "|---|---|---|---|"]
    pairs = zip(recorded["top_self"], recorded["top_own_code_inclusive"], strict=False)
    return lines + [
        f"| `{a['function']}` | {a['percent']} | `{b['function']}` | {b['percent']} |"
        for a, b in pairs
    ]


def _row(fig: dict[str, Any]) -> str:
    mine = fmt(fig["todomesh"]) if fig["todomesh"] is not None else f"— ({fig['reason']})"
    floors = fig.get("floors") or {}
    if not floors:
        return f"| {fig['title']} | {mine} | — ({fig.get('floor_reason')}) | |"
    cells = [
        (
            f"{b['name']}: {fmt(b['result']) if b['result'] else '— (' + str(b['reason']) + ')'}",
            ", ".join(f"{k} {v}" for k, v in (b.get("ratio") or {}).items()),
        )
        for b in floors.values()
    ]
    return (
        f"| {fig['title']} | {mine} | "
        + "<br>".join(c[0] for c in cells)
        + " | "
        + ("<br>".join(c[1] for c in cells) + " |")
    )


def fmt(m: dict[str, Any]) -> str:
    """One measurement in a table cell."""
    if "p50_ms" in m:
        text = f"p50 {m['p50_ms']} / p95 {m['p95_ms']} / p99 {m['p99_ms']} ms (n={m['count']})"
        if m.get("after_2xx"):
            after = m["after_2xx"]
            text += f"<br>from its 2xx: p50 {after['p50_ms']} / p99 {after['p99_ms']} ms"
        return f"{m['requests_per_s']} req/s, {text}" if m.get("requests_per_s") else text
    if "apps" in m:
        text = "<br>".join(f"{app}: {_short(v)}" for app, v in m["apps"].items())
        if m.get("together"):
            text = f"each alone:<br>{text}<br>all three at once:<br>{fmt(m['together'])}"
        return text
    if "total_cpu_fraction" in m:
        return f"{m['total_cpu_fraction'] * 100:.2f} % of a core, {m.get('threads')} threads"
    if "first_2xx_s" in m:
        return f"{m['first_2xx_s']} s"
    if "at_rest" in m:
        return f"{m['at_rest']['total_mb']} MB at rest, {m['under_load']['total_mb']} MB under load"
    return json.dumps(m)[:200]


def _short(v: dict[str, Any]) -> str:
    if "events_per_s" in v:
        return f"{v['events_per_s']} events/s ({v['handled']}/{v['expected']})"
    return f"{v.get('first_event_handled_s')} s"
