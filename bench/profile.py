"""A py-spy flame graph of a process under load, and its costliest functions.

py-spy runs as its own process beside the load (`record --subprocesses`, so the
gunicorn worker under the given master is sampled); it needs root or ptrace
rights. The top functions come from the SVG's frame titles: the share of samples
in which each function was on the stack (inclusive), summed over its frames.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

TITLE = re.compile(r"<title>(.*?) \(([\d,]+) samples?, ([\d.]+)%\)</title>")
ROOTS = ("all", "process ", "Thread ")


def start(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    if shutil.which("py-spy") is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy; it runs as root)")
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--function"]
    argv += ["--duration", str(max(1, round(seconds))), "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(recorder: subprocess.Popen[bytes], out: Path, top: int = 15) -> dict[str, Any]:
    _, stderr = recorder.communicate(timeout=120)
    if recorder.returncode != 0 or not out.exists():
        message = stderr.decode(errors="replace").strip()[-500:]
        return {"svg": None, "top": None, "reason": f"py-spy failed: {message}"}
    return {"svg": str(out), "top": top_functions(out.read_text(errors="replace"), top)}


def top_functions(svg: str, top: int = 15) -> list[dict[str, Any]]:
    """The `top` functions by inclusive share of samples."""
    shares: dict[str, float] = defaultdict(float)
    for label, _samples, percent in TITLE.findall(svg):
        label = label.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        if not label.startswith(ROOTS):
            shares[label] += float(percent)
    ranked = sorted(shares.items(), key=lambda item: item[1], reverse=True)[:top]
    return [{"function": label, "percent": round(min(share, 100.0), 1)} for label, share in ranked]
