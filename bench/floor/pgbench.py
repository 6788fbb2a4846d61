"""pgbench with a single-row insert script (insert.sql): what PostgreSQL itself does per
write with the same number of clients, each transaction's latency from its log."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.stats import summarize_ms
from functions.launcher.services import PostgresServer

SCRIPT = Path(__file__).with_name("insert.sql")


def pgbench(server: PostgresServer, clients: int, seconds: float) -> Any:
    if shutil.which("pgbench") is None:
        raise RuntimeError("pgbench is missing (Debian: postgresql-client)")
    with tempfile.TemporaryDirectory(prefix="todomesh-pgbench-") as logs:
        argv = ["pgbench", "-h", "127.0.0.1", "-p", str(server.port), "-U", server.user, "-n"]
        argv += ["-c", str(clients), "-j", str(min(clients, 2)), "-T", str(max(1, round(seconds)))]
        argv += ["-f", str(SCRIPT), "-l", "--log-prefix", f"{logs}/tx", server.database]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr or done.stdout}")
        latencies = [
            int(line.split()[2]) / 1e6
            for log in Path(logs).glob("tx*")
            for line in log.read_text().splitlines()
            if line.strip()
        ]
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    result = summarize_ms(latencies)
    if result is None:
        raise RuntimeError(f"pgbench logged no transaction: {done.stdout}")
    return {"requests_per_s": round(float(tps.group(1)), 1) if tps else None, **result}
