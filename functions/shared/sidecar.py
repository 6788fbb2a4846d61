"""A small client for the Dapr sidecar's HTTP API: publish, bindings, secrets, jobs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import requests
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from functions.shared.events import CLOUDEVENT_CONTENT_TYPE
from functions.shared.outbox import PublishError
from functions.shared.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0


class SidecarError(RuntimeError):
    """The sidecar refused a call or could not be reached."""


class DaprClient:
    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.base = settings.dapr_url
        self.settings = settings
        self.http = session or requests.Session()
        # The sidecar is local: no proxy or ~/.netrc applies to it, and requests would
        # otherwise look both up in the environment and the file system on every call.
        self.http.trust_env = False
        if settings.dapr_api_token:  # daprd then refuses any call without it
            self.http.headers["dapr-api-token"] = settings.dapr_api_token

    def _call(
        self, method: str, path: str, *, refuse_errors: bool = True, **kwargs: Any
    ) -> requests.Response:
        """The sidecar's answer; SidecarError when it cannot be reached, or (unless
        `refuse_errors` is off, for a caller that reads error bodies) when it refuses."""
        try:
            response = self.http.request(
                method, f"{self.base}{path}", timeout=TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as exc:
            raise SidecarError(f"sidecar unreachable: {exc}") from exc
        if refuse_errors and response.status_code >= 300:
            raise SidecarError(
                f"{method} {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response

    def publish(self, topic: str, envelope: dict[str, Any], key: str) -> None:
        """Publish our own CloudEvent envelope, keyed by `key` (the Kafka record key)."""
        try:
            self._call(
                "POST",
                f"/v1.0/publish/{self.settings.pubsub_name}/{topic}",
                params={"metadata.partitionKey": key},
                json=envelope,
                headers={"Content-Type": CLOUDEVENT_CONTENT_TYPE},
            )
        except SidecarError as exc:
            raise PublishError(str(exc)) from exc

    def publish_many(self, items: Sequence[tuple[str, dict[str, Any], str]]) -> set[int]:
        """Publish `(topic, envelope, key)` items with Dapr's bulk API; the positions of those
        not published. A bulk request keeps no order among its entries, so each request
        holds at most one event per (topic, key): a task's next event goes in a later
        request, once the one before it is acknowledged. A failed entry, and every later
        event of its task, is left out (the outbox keeps them for the next try)."""
        rounds: dict[tuple[int, str], list[int]] = {}  # (round, topic) -> positions
        seen: dict[tuple[str, str], int] = {}
        for index, (topic, _, key) in enumerate(items):
            turn = seen[topic, key] = seen.get((topic, key), -1) + 1
            rounds.setdefault((turn, topic), []).append(index)
        missed: set[int] = set()
        failed: set[tuple[str, str]] = set()
        error: SidecarError | None = None
        for (_, topic), indexes in sorted(rounds.items()):
            ready = [i for i in indexes if (topic, items[i][2]) not in failed]
            missed.update(set(indexes) - set(ready))
            if not ready:  # every one waits behind a failed event of its task
                continue
            try:
                refused = self._publish_bulk(topic, [(i, items[i][1], items[i][2]) for i in ready])
            except SidecarError as exc:
                refused, error = set(ready), exc
            missed |= refused
            failed.update((topic, items[i][2]) for i in refused)
        if error is not None and len(missed) == len(items):
            raise PublishError(str(error)) from error
        return missed

    def _publish_bulk(self, topic: str, entries: list[tuple[int, dict[str, Any], str]]) -> set[int]:
        """One bulk publish; the positions of the entries the sidecar reports as failed."""
        body = [
            {
                "entryId": str(index),
                "event": envelope,
                "contentType": CLOUDEVENT_CONTENT_TYPE,
                "metadata": {"partitionKey": key},  # per entry: the Kafka record key
            }
            for index, envelope, key in entries
        ]
        path = f"/v1.0-alpha1/publish/bulk/{self.settings.pubsub_name}/{topic}"
        response = self._call("POST", path, refuse_errors=False, json=body)
        if response.status_code < 300:
            return set()
        try:
            failed = {int(entry["entryId"]) for entry in response.json()["failedEntries"]}
        except (ValueError, KeyError, TypeError):
            raise SidecarError(
                f"bulk publish answered {response.status_code}: {response.text[:300]}"
            ) from None
        log.warning("bulk publish: some events not taken", extra={"failed": len(failed)})
        return failed

    def invoke_binding(
        self, name: str, operation: str, data: Any, metadata: dict[str, str]
    ) -> None:
        self._call(
            "POST",
            f"/v1.0/bindings/{name}",
            json={"operation": operation, "data": data, "metadata": metadata},
        )

    def get_secret(self, store: str, key: str) -> str:
        values = self._call("GET", f"/v1.0/secrets/{store}/{key}").json()
        return values.get(key) or next(iter(values.values()))

    def schedule_job(self, name: str, due_time: str, data: dict[str, Any]) -> None:
        # the same job again for another reminder due then
        body = {"dueTime": due_time, "data": data, "overwrite": True}
        self._call("POST", f"/v1.0-alpha1/jobs/{name}", json=body)

    def healthy(self) -> bool:
        try:
            self._call("GET", "/v1.0/healthz/outbound")
        except SidecarError:
            return False
        return True


def resolve_database_url(settings: Settings) -> Settings:
    """In Dapr mode without DATABASE_URL, read it from the secret store (waiting for daprd)."""
    if settings.mode != "dapr" or settings.database_url:
        return settings

    @retry(
        retry=retry_if_exception_type(SidecarError),
        wait=wait_exponential(multiplier=0.2, max=3),
        stop=stop_after_delay(60),
        reraise=True,
    )
    def fetch() -> str:
        return DaprClient(settings).get_secret(settings.secret_store, settings.database_secret_key)

    return settings.replace(database_url=fetch())
