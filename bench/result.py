"""One run's figures as JSON: every figure present, and every missing number explained.

A figure is `{title, path, params, todomesh, reason, floors, floor_reason}`:
`todomesh` is the measurement (None with a `reason` when it could not be taken),
`floors` maps a floor's key to `{name, result, ratio, reason}`, and a figure
with no floor says why in `floor_reason`. A latency measurement carries
`count`, `p50_ms`, `p95_ms`, `p99_ms` (see `bench.stats.summarize_ms`).
"""

from __future__ import annotations

from typing import Any

from bench.stats import speed

LATENCY_KEYS = ("count", "p50_ms", "p95_ms", "p99_ms")


def figure(
    title: str,
    path: str,
    todomesh: dict[str, Any] | None,
    *,
    params: dict[str, Any] | None = None,
    reason: str | None = None,
    floors: dict[str, dict[str, Any]] | None = None,
    floor_reason: str | None = None,
) -> dict[str, Any]:
    if todomesh is None and not reason:
        reason = "no sample was taken"
    return {
        "title": title,
        "path": path,
        "params": params or {},
        "todomesh": todomesh,
        "reason": None if todomesh is not None else reason,
        "floors": floors or {},
        "floor_reason": floor_reason if not floors else None,
    }


def floor(
    name: str,
    result: dict[str, Any] | None,
    ratio: dict[str, float | None] | None,
    reason: str | None = None,
) -> dict[str, Any]:
    if result is None:
        reason = reason or "the floor was not measured"
    return {"name": name, "result": result, "ratio": ratio, "reason": None if result else reason}


def latency_ratio(todomesh: dict[str, Any] | None, base: dict[str, Any] | None) -> dict[str, Any]:
    """Speed ratios at p50 and p99 (1.0 = as fast as the floor)."""
    return {
        q: speed(_get(todomesh, f"{q}_ms"), _get(base, f"{q}_ms"), lower_is_better=True)
        for q in ("p50", "p99")
    }


def throughput_ratio(
    todomesh: dict[str, Any] | None, base: dict[str, Any] | None
) -> dict[str, Any]:
    """Requests per second as a fraction of the floor's, and the latency ratios."""
    rate = "requests_per_s"
    return {
        "throughput": speed(_get(todomesh, rate), _get(base, rate), lower_is_better=False),
        **latency_ratio(todomesh, base),
    }


def _get(measurement: dict[str, Any] | None, key: str) -> Any:
    return None if measurement is None else measurement.get(key)


def failed(title: str, path: str, error: BaseException, params: dict[str, Any]) -> dict[str, Any]:
    """A figure whose measurement raised: the error is its reason."""
    reason = f"{type(error).__name__}: {error}".strip()
    return figure(title, path, None, params=params, reason=reason, floor_reason=reason)


def problems(result: dict[str, Any], expected: list[str]) -> list[str]:
    """What is missing or malformed in a run's JSON (empty when well-formed)."""
    top = ("mode", "machine", "git_commit", "figures")
    found = [f"missing top-level key {k!r}" for k in top if k not in result]
    for key in ("cores", "memory_mb", "loadavg_start"):
        if key not in result.get("machine", {}):
            found.append(f"machine lacks {key!r}")
    figures = result.get("figures", {})
    found += [f"figure {name!r} is missing" for name in expected if name not in figures]
    for name, fig in figures.items():
        found += [f"{name}: {p}" for p in _figure_problems(fig)]
    return found


def _figure_problems(fig: dict[str, Any]) -> list[str]:
    found = [f"lacks {k!r}" for k in ("title", "path", "todomesh", "floors") if k not in fig]
    if fig.get("todomesh") is None and not fig.get("reason"):
        found.append("todomesh is null without a reason")
    found += _measurement_problems("todomesh", fig.get("todomesh"))
    if not fig.get("floors") and not fig.get("floor_reason"):
        found.append("no floor and no floor_reason")
    for key, base in (fig.get("floors") or {}).items():
        if base.get("result") is None and not base.get("reason"):
            found.append(f"floor {key!r} is null without a reason")
        found += _measurement_problems(f"floor {key}", base.get("result"))
    return found


def _measurement_problems(where: str, value: Any) -> list[str]:
    """Latency summaries are complete; a null inside a measurement sits beside a reason."""
    if isinstance(value, list):
        return [p for item in value for p in _measurement_problems(where, item)]
    if not isinstance(value, dict):
        return []
    found = []
    if "count" in value and "p50_ms" in value:
        for key in LATENCY_KEYS:
            if not isinstance(value.get(key), int | float) or isinstance(value.get(key), bool):
                found.append(f"{where}: {key} is not a number")
    for key, item in value.items():
        if item is None and key != "reason" and not value.get("reason"):
            found.append(f"{where}: {key} is null without a reason")
        found += _measurement_problems(f"{where}.{key}", item)
    return found
