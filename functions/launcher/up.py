"""`todomesh up`: the platform with real sidecars, as processes (`--dapr`) or pods (`--pods`).

The arguments are defined in functions/cli.py, since the image leaves the launcher out.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from functions.launcher.platform import Addresses, LaunchedPlatform
from functions.launcher.pods import PodPlatform
from functions.launcher.selfhosted import SelfHostedPlatform


def run_up(args: argparse.Namespace) -> int:
    host, _, port = args.smtp.rpartition(":")
    addresses = Addresses(args.database_url, args.kafka, host or "127.0.0.1", int(port))
    work_dir = args.work_dir.resolve()
    platform: LaunchedPlatform
    if args.pods:
        platform = PodPlatform(addresses, work_dir, pod_kafka_brokers=args.kafka_pods)
    else:
        platform = SelfHostedPlatform(addresses, work_dir)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        platform.start()
        for member in platform.members.values():
            print(f"{member.app_id:10} {member.url}  (daprd {member.sidecar_url})", file=sys.stderr)
        token = platform.identity.token("alice", ttl=12 * 3600)
        print(f"a token for alice (12 h):\nexport TOKEN={token}", file=sys.stderr)
        logs = f"in {args.work_dir}"
        if isinstance(platform, PodPlatform):
            logs = f"infra/image/podman.sh logs todomesh-{platform.run_id}-<app>-app (or -daprd)"
        print(f"logs: {logs}; Ctrl-C stops everything", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        platform.stop()
    return 0
