"""The two runs: `embedded` (`task bench`) and `dapr` (`task bench:dapr`)."""

FIGURES = (
    "cpu_at_rest",
    "writes",
    "rss",
    "request_to_event",
    "request_to_audit",
    "recurring_next",
    "reminder_lateness",
    "cold_start",
    "backlog_drain",
    "reads_during_drain",
    "ws_receipt_1k",
    "ws_receipt_10k",
)
