"""Run the fast tiers several times while the machine is busy; fail on the first failure.

    python -m tests.support.load [--runs 3] [PYTEST ARGS...]

The load is a second pytest of the fast tiers in a loop, plus `stress-ng --cpu 2` when it
is installed. Without PYTEST ARGS the runs take the fast tiers (`task test:unit`'s
selection). Each run's counts and time are printed, then the load's own.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

FAST = "(unit or api or functions or contract) and not postgres"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
OUTCOMES = r"(?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?)"
SUMMARY = re.compile(rf"^=*\s*(\d+ {OUTCOMES}\b.*?) in ([\d.]+)s\b", re.M)


def summary(output: str) -> str:
    """pytest's closing counts, e.g. `516 passed, 2 skipped in 41.02s`."""
    found = SUMMARY.findall(output)
    return f"{found[-1][0]} in {found[-1][1]}s" if found else "no summary"


class Load:
    """A pytest of the fast tiers in a loop (and stress-ng, if installed), until `stop()`."""

    def __init__(self) -> None:
        self.rounds: list[tuple[int, str, float]] = []
        self._stopping = threading.Event()
        self._current: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="load")
        stress = shutil.which("stress-ng")
        argv = [stress, "--cpu", "2", "--quiet"] if stress else None
        self._stress = subprocess.Popen(argv) if argv else None

    def start(self) -> Load:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            with self._lock:
                if self._stopping.is_set():
                    return
                self._current = subprocess.Popen(
                    [*PYTEST, "-m", FAST],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            output, _ = self._current.communicate()
            if not self._stopping.is_set():
                took = time.monotonic() - started
                self.rounds.append((self._current.returncode, summary(output), took))

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            if self._current is not None and self._current.poll() is None:
                self._current.terminate()
        self._thread.join()
        if self._stress is not None:
            self._stress.terminate()
            self._stress.wait(30)

    def describe(self) -> str:
        stress = "stress-ng --cpu 2 and " if self._stress is not None else ""
        return f"{stress}a loop of `pytest -m '{FAST}'`"


def run_once(number: int, runs: int, args: Sequence[str]) -> int:
    started = time.monotonic()
    result = subprocess.run([*PYTEST, *args], capture_output=True, text=True, check=False)
    took = time.monotonic() - started
    print(f"run {number}/{runs}: {summary(result.stdout)} (wall {took:.1f} s)", flush=True)
    if result.returncode != 0:
        print(result.stdout[-20000:], result.stderr[-5000:], sep="\n", flush=True)
    return result.returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options, pytest_args = parser.parse_known_args(argv)
    args = pytest_args or ["-m", FAST]
    load = Load().start()
    print(f"load: {load.describe()}; runs: pytest {' '.join(args)}", flush=True)
    code = 0
    try:
        for number in range(1, options.runs + 1):
            code = run_once(number, options.runs, args)
            if code != 0:
                break
    finally:
        load.stop()
    for returncode, counts, took in load.rounds:
        print(f"load round: exit {returncode}, {counts} (wall {took:.1f} s)")
    print("all runs passed" if code == 0 else f"run failed with exit code {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
