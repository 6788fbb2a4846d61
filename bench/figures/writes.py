"""Write throughput and latency: `POST /api/tasks`, N clients, closed loop (wrk), and the
same load on each floor, one after the other in the same run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.load.auth import Auth
from bench.load.procs import PeakRss, Watched
from bench.load.wrk import run_wrk
from bench.result import figure, floor, throughput_ratio
from bench.sizes import Sizes

TITLE = "Writes: POST /api/tasks, closed loop"
PATH = "load process (wrk) -> the API -> its answer (2xx counted, others are errors)"
Measure = Callable[[], dict[str, Any]]


def wrk_writes(url: str, auth: Auth, sizes: Sizes, user: str, body: dict[str, Any]) -> Measure:
    """A measure: wrk POSTing `body` to `url` as `user`."""
    return lambda: run_wrk(
        url,
        connections=sizes.write_clients,
        seconds=sizes.write_seconds,
        headers=auth.headers(user),
        method="POST",
        body=body,
    )


def writes(
    todomesh: Measure,
    floors: dict[str, tuple[str, Measure]],
    *,
    sizes: Sizes,
    watched: Watched,
    params: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The writes figure and the peak RSS of the watched processes under that load.

    Floors run first, todomesh last: its delivery backlog then drains after the
    figure, not during a floor's run."""
    measured = {key: (name, _attempt(run)) for key, (name, run) in floors.items()}
    with PeakRss(watched) as peak:
        result, error = _attempt(todomesh)
    params = {"clients": sizes.write_clients, "seconds": sizes.write_seconds, **params}
    floor_figures = {
        key: floor(name, res, throughput_ratio(result, res) if res else None, err)
        for key, (name, (res, err)) in measured.items()
    }
    fig = figure(TITLE, PATH, result, params=params, reason=error, floors=floor_figures)
    return fig, peak.result()


def _attempt(run: Measure) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return run(), None
    except Exception as error:  # one floor failing must not lose the others
        return None, f"{type(error).__name__}: {error}"
