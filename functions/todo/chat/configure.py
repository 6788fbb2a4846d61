"""The chat's assistant as the settings configure it: none unless an LLM endpoint is set."""

from __future__ import annotations

import functools
from typing import Any

import requests

from functions.shared.settings import Settings
from functions.shared.sidecar import DaprClient
from functions.todo.chat.assistant import Assistant


def assistant_from(settings: Settings) -> Assistant | None:
    if not (settings.llm_base_url and settings.llm_model):
        return None
    return Assistant(
        settings.llm_base_url,
        settings.llm_model,
        functools.cache(lambda: api_key(settings)),
        http_post,
        max_tool_calls=settings.llm_max_tool_calls,
        timeout=settings.llm_timeout_seconds,
    )


def api_key(settings: Settings) -> str:
    """TODOMESH_LLM_API_KEY, else (in Dapr mode) the secret store's key."""
    if settings.llm_api_key:
        return settings.llm_api_key
    if settings.mode == "dapr":
        return DaprClient(settings).get_secret(settings.secret_store, settings.llm_api_key_secret)
    return ""


def http_post(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> Any:
    response = requests.post(url, json=body, headers=headers, timeout=timeout)
    response.raise_for_status()
    return response.json()
