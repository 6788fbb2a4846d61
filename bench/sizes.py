"""How much each figure measures: the full run, and the quick smoke run CI uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    quick: bool = False
    write_clients: int = 16
    write_seconds: float = 30.0
    pipeline_clients: int = 8
    pipeline_seconds: float = 20.0
    read_clients: int = 1
    hub_small: int = 1_000
    hub_large: int = 10_000
    hub_tabs: int = 10
    hub_writes_per_s: float = 100.0
    hub_seconds: float = 20.0
    hub_connect_seconds: float = 150.0
    recurring: int = 50
    reminders: int = 100
    reminder_lead_seconds: float = 8.0
    backlog: int = 10_000
    rest_seconds: float = 30.0
    producer_records: int = 200_000
    settle_timeout: float = 240.0
    receipt_timeout: float = 60.0


FULL = Sizes()
QUICK = Sizes(
    quick=True,
    write_seconds=2.0,
    pipeline_seconds=2.0,
    hub_small=20,
    hub_large=60,
    hub_writes_per_s=10.0,
    hub_seconds=2.0,
    hub_connect_seconds=30.0,
    recurring=3,
    reminders=5,
    reminder_lead_seconds=3.0,
    backlog=100,
    rest_seconds=2.0,
    producer_records=5_000,
    settle_timeout=60.0,
    receipt_timeout=30.0,
)
