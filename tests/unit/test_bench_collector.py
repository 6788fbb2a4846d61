"""The load process's collector while it measures (`bench/load/collector.py`)."""

from __future__ import annotations

import gc

from bench.load import collector
from functions.shared.collector import YOUNG_THRESHOLD


def test_what_is_alive_is_frozen_while_measuring_and_the_collector_restored_after() -> None:
    before = gc.get_threshold()
    clients = [{"client": n} for n in range(1_000)]  # alive on entry: never walked within
    with collector.quiet():
        assert gc.get_freeze_count() >= len(clients)
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_collector_is_restored_when_the_figure_fails() -> None:
    before = gc.get_threshold()
    try:
        with collector.quiet():
            raise RuntimeError("a figure that failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
