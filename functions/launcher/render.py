"""Render the repo's Dapr resources for one self-hosted run.

The YAML in `dapr/components/` carries the developer services' addresses
(infra/services.sh). A test or `todomesh up --dapr` needs other addresses, so
`render_resources()` copies the components, the cron binding, the
subscriptions and the resiliency policy into one flat folder for
`daprd --resources-path`, with the broker, secrets file and SMTP server
substituted. Everything except the substituted components is copied verbatim.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from functions.runtime.resources import REPO_ROOT

RENDER_MARKER = "# rendered by functions/launcher/render.py; do not edit\n"
_SOURCES = ("dapr/components", "bindings", "dapr/subscriptions", "dapr/resiliency.yaml")


def config_path(source_root: Path = REPO_ROOT) -> Path:
    """The sidecar Configuration file, for `daprd --config`."""
    return source_root / "dapr" / "config.yaml"


def render_resources(
    dest_dir: Path | str,
    *,
    kafka_brokers: str,
    secrets_file: Path | str,
    smtp_host: str,
    smtp_port: int,
    source_root: Path = REPO_ROOT,
) -> Path:
    """Write every Dapr resource into `dest_dir` with these addresses; return `dest_dir`.

    Files from an earlier render into the same folder are replaced; other files
    are left alone.
    """
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    _remove_previous_render(dest)
    secrets = Path(secrets_file)  # an absolute path may be one inside a container
    secrets = secrets if secrets.is_absolute() else secrets.resolve()
    overrides = _overrides(kafka_brokers, secrets, smtp_host, smtp_port)
    for source in _resource_files(source_root):
        target = dest / source.name
        if target.exists():
            raise FileExistsError(f"two Dapr resource files are named {source.name}")
        target.write_text(RENDER_MARKER + _render(source.read_text(), overrides))
    return dest


def write_secrets_file(path: Path | str, *, database_url: str) -> Path:
    """Write the local secret store's JSON file (owner-only), holding `database-url`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"database-url": database_url}, handle)
    return target


def pod_name(app_id: str, dapr_http_port: int, host: str | None = None) -> str:
    """POD_NAME for a self-hosted sidecar: what `{podName}` resolves to.

    Unique per sidecar on a machine (the port is), stable across its restarts.
    """
    return f"{app_id}-{host or socket.gethostname()}-{dapr_http_port}"


def _resource_files(source_root: Path) -> Iterator[Path]:
    for relative in _SOURCES:
        path = source_root / relative
        if path.is_file():
            yield path
        else:
            yield from sorted(path.glob("*.yaml"))


def _remove_previous_render(dest: Path) -> None:
    for old in dest.glob("*.yaml"):
        with old.open() as handle:
            if handle.readline() == RENDER_MARKER:
                old.unlink()


Overrides = dict[str, dict[str, str]]


def _overrides(brokers: str, secrets_file: Path, smtp_host: str, smtp_port: int) -> Overrides:
    """Component type -> metadata name -> new value."""
    return {
        "pubsub.kafka": {"brokers": brokers},
        "secretstores.local.file": {"secretsFile": str(secrets_file)},
        "bindings.smtp": {"host": smtp_host, "port": str(smtp_port)},
    }


def _render(text: str, overrides: Overrides) -> str:
    docs = list(yaml.safe_load_all(text))
    if not any(_component_type(doc) in overrides for doc in docs):
        return text
    for doc in docs:
        _apply(doc, overrides.get(_component_type(doc), {}))
    return yaml.safe_dump_all(docs, sort_keys=False)


def _component_type(doc: Any) -> str | None:
    if isinstance(doc, dict) and doc.get("kind") == "Component":
        return doc.get("spec", {}).get("type")
    return None


def _apply(doc: dict[str, Any], values: dict[str, str]) -> None:
    for item in doc.get("spec", {}).get("metadata") or []:
        if item.get("name") in values:
            item["value"] = values[item["name"]]
