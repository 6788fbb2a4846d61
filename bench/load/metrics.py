"""What a consumer has handled, from its Prometheus `/metrics` (`todomesh_events_total`)."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families


def handled(metrics_url: str, app: str, event_type: str | None = None) -> float | None:
    """Events `app` has handled (any outcome), of `event_type` if given; None while the
    app does not answer (not started yet)."""
    try:
        response = requests.get(metrics_url, timeout=2)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name != "todomesh_events_total" or sample.labels.get("app") != app:
                continue
            if event_type is None or sample.labels.get("type") == event_type:
                total += sample.value
    return total
