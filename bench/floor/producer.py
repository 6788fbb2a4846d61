"""Kafka's own ProducerPerformance on a one-partition topic: what the broker takes from one
producer at best (batched, acks=all), from the cached broker and tools jars."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

from functions.launcher.binaries import kafka_libs

LINE = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec .*?([\d.]+) ms avg latency, ([\d.]+) ms max"
    r" latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th"
)


def producer_performance(bootstrap: str, topic: str, records: int, size: int) -> Any:
    libs = kafka_libs()
    tools = libs.parent / "tools"
    if not any(tools.glob("kafka-tools-*.jar")):
        raise RuntimeError(f"no kafka-tools jar in {tools}; run `task infra:build:bench`")
    java = shutil.which("java") or "java"
    argv = [java, "-Xmx512m", "-cp", f"{libs}/*:{tools}/*"]
    argv += ["org.apache.kafka.tools.ProducerPerformance", "--topic", topic]
    argv += ["--num-records", str(records), "--record-size", str(size), "--throughput", "-1"]
    argv += ["--producer-props", f"bootstrap.servers={bootstrap}", "acks=all"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    found = LINE.findall(done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"ProducerPerformance failed: {done.stderr[-800:] or done.stdout}")
    sent, rate, mean, worst, p50, p95, p99 = found[-1]
    return {
        "requests_per_s": round(float(rate), 1),
        "count": int(sent),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "mean_ms": float(mean),
        "max_ms": float(worst),
        "record_bytes": size,
    }
