"""Shorter, rarer pauses of CPython's cyclic garbage collector in a long-running process.

A collection holds the GIL while it walks every tracked object of the generations it
collects, so every request, delivery and WebSocket of the process waits meanwhile. A
server holds about 200,000 such objects once started (modules, classes, SQLAlchemy's and
pydantic's metadata), none of them ever garbage, and about 150 more per open WebSocket.
With 1,000 connections, each full collection of `todomesh dev`'s server took 100-265 ms
on the 2-core bench machine, and it ran every few seconds under writes (bench/REPORT.md).

`settle()` runs once a process has started:
- it collects once, then moves everything still alive to the permanent generation
  (`gc.freeze()`), which no collection walks again;
- it raises the youngest generation's threshold from 700 to `YOUNG_THRESHOLD`
  allocations, so that the short-lived objects of a request or a batch die by reference
  counting before a collection promotes them, and the full collections, which wait for
  the old generations to grow by a quarter, come far more rarely.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def settle() -> None:
    """Freeze what the process built to start, and collect its young objects less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
