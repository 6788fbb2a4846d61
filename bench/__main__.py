"""Run every benchmark (or those named) and write one JSON file each to bench/results/."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCHMARKS = ("api_events", "hub_latency", "page_load")
RESULTS = Path(__file__).with_name("results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    RESULTS.mkdir(exist_ok=True)
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        started = time.time()
        result = module.run(quick=args.quick)
        result["machine"] = {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        }
        result["wall_seconds"] = round(time.time() - started, 2)
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"{name}: {path}\n{json.dumps(result['summary'], indent=2)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
