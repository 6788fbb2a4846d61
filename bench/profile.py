"""A py-spy flame graph of a process under load, and its costliest functions.

py-spy runs as its own process beside the load (`record --subprocesses`, so the
gunicorn worker under the given master is sampled); it needs root or ptrace
rights. The costs are read back from the SVG's frames (`fg:x`, `fg:w` in samples,
one row of 16 px per stack depth): a function's *self* share is where the samples
stopped in it (a lock wait, a syscall, its own code), and its *inclusive* share
counts everything it called too. Both are summed over all its frames.
"""

from __future__ import annotations

import bisect
import html
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

FRAME = re.compile(
    r"<title>(.*?) \([\d,]+ samples?, [\d.]+%\)</title>"
    r'<rect [^>]*?y="([\d.]+)"[^>]*?fg:x="(\d+)" fg:w="(\d+)"'
)
TOTAL = re.compile(r'total_samples="(\d+)"')
ROW = 16.0  # px between a frame and its callees


def start(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    if shutil.which("py-spy") is None:
        raise RuntimeError("py-spy is not installed (pip install py-spy; it runs as root)")
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--function"]
    argv += ["--duration", str(max(1, round(seconds))), "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(recorder: subprocess.Popen[bytes], out: Path, top: int = 12) -> dict[str, Any]:
    _, stderr = recorder.communicate(timeout=120)
    if recorder.returncode != 0 or not out.exists():
        message = stderr.decode(errors="replace").strip()[-500:]
        return {"svg": None, "reason": f"py-spy failed: {message}"}
    return {"svg": str(out), **costs(out.read_text(errors="replace"), top)}


def costs(svg: str, top: int = 12, own: str = "functions/") -> dict[str, Any]:
    """The `top` functions by self share, and those of `own` code by inclusive share."""
    frames = [(html.unescape(t), float(y), int(x), int(w)) for t, y, x, w in FRAME.findall(svg)]
    found = TOTAL.search(svg)
    total = int(found.group(1)) if found else max((x + w for _, _, x, w in frames), default=1)
    rows: dict[float, list[tuple[int, int, int]]] = defaultdict(list)  # y -> (x, w, index)
    for index, (_, y, x, w) in enumerate(frames):
        rows[y].append((x, w, index))
    for row in rows.values():
        row.sort()
    called = [0] * len(frames)
    for _, y, x, w in frames:
        parents = rows.get(y - ROW, [])
        at = bisect.bisect_right(parents, (x, float("inf"), 0)) - 1
        if at >= 0 and parents[at][0] <= x < parents[at][0] + parents[at][1]:
            called[parents[at][2]] += w
    own_share: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)
    for (label, _, _, w), callees in zip(frames, called, strict=True):
        own_share[label] += (w - callees) / total * 100
        inclusive[label] += w / total * 100
    return {
        "samples": total,
        "top_self": _ranked(own_share, top),
        "top_own_code_inclusive": _ranked({k: v for k, v in inclusive.items() if own in k}, top),
    }


def _ranked(shares: dict[str, float], top: int) -> list[dict[str, Any]]:
    ranked = sorted(shares.items(), key=lambda item: item[1], reverse=True)[:top]
    return [{"function": label, "percent": round(min(share, 100.0), 1)} for label, share in ranked]
