"""The hub's own Prometheus metrics (served by the app's `GET /metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

CONNECTIONS = Gauge("todomesh_hub_connections", "Open WebSocket connections in this process")
SENT = Counter("todomesh_hub_messages_sent_total", "Messages sent to WebSocket clients", ["kind"])
OVERFLOWS = Counter(
    "todomesh_hub_overflow_disconnects_total", "Clients dropped because their queue overflowed"
)
RESYNCS = Counter("todomesh_hub_resyncs_total", "Clients told to reload (since out of retention)")
PRUNED = Counter("todomesh_hub_replay_pruned_total", "Replay log entries removed by age")
