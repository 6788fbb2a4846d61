"""`python -m bench embedded|dapr [--quick]`: run every figure against real processes, write
the JSON to bench/results/, and (after a full run) regenerate bench/REPORT.md.

    python -m bench embedded             # task bench
    python -m bench dapr                 # task bench:dapr
    python -m bench embedded --quick     # the smoke run CI makes (no timing assertion)
    python -m bench report               # REPORT.md from the latest full results
    python -m bench page                 # the web page's weight and first paint (Chromium)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.report import write_report
from bench.result import problems
from bench.runs import FIGURES
from bench.runs.common import Run, raise_open_files_limit, say, write_result
from bench.sizes import FULL, QUICK

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("mode", choices=("embedded", "dapr", "report", "page"))
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    parser.add_argument("--report", type=Path, default=HERE / "REPORT.md")
    parser.add_argument(
        "--profile", type=Path, help="also record a py-spy flame graph (SVG) of the write load"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run's working folder")
    args = parser.parse_args(argv)
    if args.mode == "report":
        write_report(args.report, args.results_dir)
        return 0
    if args.mode == "page":
        return _page(args.results_dir, args.quick)
    say(f"open files limit: {raise_open_files_limit()}")
    with tempfile.TemporaryDirectory(prefix=f"todomesh-bench-{args.mode}-") as tmp:
        work = Path(tmp)
        bench = Run(args.mode, QUICK if args.quick else FULL, work)
        try:
            _run(bench, args.profile)
        finally:
            path = write_result(bench.result(), args.results_dir)
            say(f"results: {path}")
            if args.keep:
                say(f"working folder kept: {_keep(work)}")
    if not args.quick:
        write_report(args.report, args.results_dir)
        say(f"report: {args.report}")
    found = problems(bench.result(), list(FIGURES))
    for problem in found:
        say(f"malformed: {problem}")
    return 1 if found else 0


def _run(bench: Run, profile_to: Path | None) -> None:
    if bench.mode == "embedded":
        from bench.runs import embedded

        embedded.run(bench, profile_to)
    else:
        from bench.runs import dapr

        dapr.run(bench, profile_to)


def _page(results_dir: Path, quick: bool) -> int:
    import json

    from bench import page_load

    result = page_load.run(quick=quick)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "page_load.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    say(f"results: {path}\n{json.dumps(result['summary'], indent=2)}")
    return 0


def _keep(work: Path) -> Path:
    import shutil

    kept = Path(tempfile.mkdtemp(prefix="todomesh-bench-kept-"))
    shutil.copytree(work, kept, dirs_exist_ok=True)
    return kept


if __name__ == "__main__":
    sys.exit(main())
