"""Hub latency: from a REST call to its receipt by 2 and by 1,000 WebSocket clients.

The whole path runs as in `todomesh dev`: `POST /api/tasks` commits the task and
its outbox rows; the relay publishes to the embedded broker; the dispatcher
delivers `task.created` to the hub, which logs it and fans it out to every
connection of the user. The platform runs in its own process (gunicorn, one
worker, a thread per WebSocket, sized by `worker_connections` beyond gunicorn's
default 1,000); the clients live in this process, opened with websocket-client
and read by one selector thread. Per round, `receipt` is each client's latency
and `all_received` the time until the last client had it; both in ms.

    python -m bench hub_latency [--quick]    # writes bench/results/hub_latency.json
"""

from __future__ import annotations

import json
import os
import selectors
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import websocket

from bench.stats import summarize_ms
from functions.launcher.processes import ManagedProcess, free_port, wait_until

USER = "bench"
REPO = Path(__file__).resolve().parents[1]
PATH = "POST /api/tasks -> outbox -> embedded broker -> hub -> WebSocket clients"


class Clients:
    """Many WebSocket clients read by one thread through a selector.

    The hub's frames are unmasked and unfragmented text frames (no extension is
    negotiated), so a few lines parse them; one reader thread keeps the client
    side from competing with itself for the GIL and skewing the timestamps.
    """

    def __init__(self, url: str, count: int) -> None:
        with ThreadPoolExecutor(16) as pool:
            self.sockets = list(pool.map(lambda _: _connect(url), range(count)))
        self.ready_seq = max(seq for _, seq in self.sockets)
        self.arrived: list[dict[int, float]] = [{} for _ in self.sockets]
        self.selector = selectors.DefaultSelector()
        for index, (ws, _) in enumerate(self.sockets):
            ws.sock.setblocking(False)
            self.selector.register(ws.sock, selectors.EVENT_READ, (index, bytearray()))
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            for key, _ in self.selector.select(0.1):
                now = time.perf_counter()
                index, buffer = key.data
                try:
                    buffer += key.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                for opcode, payload in _frames(buffer):
                    if opcode == 0x1:
                        self.arrived[index][json.loads(payload)["seq"]] = now
                    elif opcode == 0x9:
                        self.sockets[index][0].pong(payload)

    def wait_for(self, seq: int, timeout: float = 30.0) -> list[float]:
        """When each client received `seq` (perf_counter), once all have."""
        deadline = time.monotonic() + timeout
        while not all(seq in got for got in self.arrived):
            if time.monotonic() > deadline:
                missing = sum(seq not in got for got in self.arrived)
                raise TimeoutError(f"{missing} clients did not receive seq {seq} in {timeout}s")
            time.sleep(0.0005)
        return [got.pop(seq) for got in self.arrived]

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.selector.close()
        for ws, _ in self.sockets:
            ws.shutdown()


def _connect(url: str) -> tuple[websocket.WebSocket, int]:
    ws = websocket.create_connection(url, header=[f"X-User-Id: {USER}"], timeout=60)
    ready = json.loads(ws.recv())
    assert ready["type"] == "ready", ready
    return ws, ready["seq"]


def _frames(buffer: bytearray) -> Iterator[tuple[int, bytes]]:
    """Complete frames at the start of `buffer` (consumed from it)."""
    while len(buffer) >= 2:
        opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
        if length == 126:
            length, start = int.from_bytes(buffer[2:4], "big"), 4
        elif length == 127:
            length, start = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < start + length:
            return
        payload = bytes(buffer[start : start + length])
        del buffer[: start + length]
        yield opcode, payload


def _scenario(server: Server, clients: int, rounds: int, warmup: int = 3) -> dict[str, Any]:
    connected = Clients(server.base.replace("http://", "ws://") + f"/ws/{USER}", clients)
    seq = connected.ready_seq
    held = server.footprint()
    session = requests.Session()
    receipt: list[float] = []
    all_received: list[float] = []
    try:
        for i in range(warmup + rounds):
            started = time.perf_counter()
            response = session.post(
                f"{server.base}/api/tasks",
                json={"title": f"bench {i}"},
                headers={"X-User-Id": USER},
                timeout=30,
            )
            response.raise_for_status()
            seq += 1
            arrived = connected.wait_for(seq)
            if i >= warmup:
                times = [moment - started for moment in arrived]
                receipt.extend(times)
                all_received.append(max(times))
    finally:
        connected.close()
    return {
        "clients": clients,
        "rounds": rounds,
        "receipt": summarize_ms(receipt),
        "all_received": summarize_ms(all_received),
        "server_while_connected": held,
    }


class Server:
    """The platform in a child process, as `todomesh dev` runs it, sized for many sockets."""

    def __init__(self, data_dir: Path, threads: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [
            sys.executable,
            "-m",
            "functions.cli",
            "dev",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir / "data"),
            "--threads",
            str(threads),
        ]
        env = {**os.environ, "LOG_LEVEL": "WARNING"}
        self.process = ManagedProcess(argv, log_file=data_dir / "server.log", cwd=REPO, env=env)

    def __enter__(self) -> Server:
        self.process.start()
        wait_until(self._ready, what="platform", timeout=120, process=self.process)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.process.stop()

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.base}/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def footprint(self) -> dict[str, float]:
        """Threads and resident memory of the platform's processes (master and worker)."""
        assert self.process.pid is not None
        pids = [self.process.pid]
        children = Path(f"/proc/{pids[0]}/task/{pids[0]}/children").read_text().split()
        pids += [int(child) for child in children]
        threads = rss_kb = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "Threads":
                    threads += int(value)
                elif key == "VmRSS":
                    rss_kb += int(value.split()[0])
        return {"threads": threads, "rss_mb": round(rss_kb / 1024, 1)}


def run(quick: bool = False) -> dict[str, Any]:
    sizes = [(2, 50), (200, 10)] if quick else [(2, 200), (1000, 50)]
    scenarios = {}
    with tempfile.TemporaryDirectory() as tmp, Server(Path(tmp), sizes[-1][0] + 64) as server:
        for clients, rounds in sizes:
            scenarios[f"{clients}_clients"] = _scenario(server, clients, rounds)
    summary = {
        name: {
            "receipt_p50_ms": s["receipt"]["p50_ms"],
            "receipt_p99_ms": s["receipt"]["p99_ms"],
            "all_received_p99_ms": s["all_received"]["p99_ms"],
        }
        for name, s in scenarios.items()
    }
    return {"benchmark": "hub_latency", "path": PATH, "summary": summary, "scenarios": scenarios}


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["hub_latency", *sys.argv[1:]]))
