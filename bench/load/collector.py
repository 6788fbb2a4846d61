"""The load process's own garbage collector, kept out of what it measures.

The load process holds the WebSocket clients it measures with: 10,000 of them are
millions of tracked objects, and CPython's full collection walks every one while the
event loop, which timestamps each receipt and each write, waits. A probe of one run of
the 10,000-client figure (`gc.callbacks`) saw a full collection of 384 ms in the load
process in the middle of the 20 s of writes, while the server under test paused for at
most 95 ms: the figure's tail was the instrument's. `quiet()` freezes what is alive
once the clients are connected and collects the young objects rarely while it holds,
as the servers do to themselves (`functions/shared/collector.py`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from functions.shared import collector


@contextmanager
def quiet() -> Iterator[None]:
    """Within: the servers' `settle()` (what was alive on entry is never walked, young
    objects are collected every `YOUNG_THRESHOLD` allocations). On exit, the collector as
    it was."""
    thresholds = gc.get_threshold()
    collector.settle()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
