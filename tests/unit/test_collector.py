"""`collector.settle()`: what a started process built is frozen out of the collector's
walks, and young objects are collected less often. Each check runs in a fresh interpreter:
settling this one would change the collector for the rest of the suite."""

from __future__ import annotations

import json
import subprocess
import sys

from functions.shared import collector
from tests.support.functions import ROOT

SETTLED = """
import gc, json, sys
{setup}
print(json.dumps({{"frozen": gc.get_freeze_count(), "thresholds": gc.get_threshold()}}))
"""


def _collector_after(setup: str) -> dict[str, object]:
    code = SETTLED.format(setup=setup)
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def test_settle_freezes_what_is_alive_and_raises_the_young_threshold() -> None:
    before = _collector_after("")
    after = _collector_after("from functions.shared import collector; collector.settle()")
    assert before["frozen"] == 0
    assert int(after["frozen"]) > 1000  # the modules' functions, classes, dicts
    default = list(before["thresholds"])  # type: ignore[call-overload]
    assert after["thresholds"] == [collector.YOUNG_THRESHOLD, *default[1:]]


def test_every_server_settles_once_it_has_started() -> None:
    """The ASGI front of every app (`todomesh dev`'s server, each Dapr-mode app)."""
    setup = """
from flask import Flask
from starlette.testclient import TestClient
from functions.shared.asgi import front
app = front(Flask("x"), [], start=lambda: None, stop=lambda: None, threads=2)
with TestClient(app):
    pass
"""
    assert int(_collector_after(setup)["frozen"]) > 1000
