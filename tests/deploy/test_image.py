"""The image contract: Containerfile and Procfile start the same gunicorn command.

The image itself, built by `task image` and started app by app, is tested in
tests/image.
"""

from __future__ import annotations

import importlib
import json
import re

import pytest

from tests.support.deploy import ROOT

pytestmark = pytest.mark.deploy

CONF = "python:functions.gunicorn_conf"


def test_containerfile_is_multi_stage_slim_and_non_root() -> None:
    text = (ROOT / "Containerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    assert "slim" in text
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)[-1]
    assert user.split(":")[0].isdigit() and not user.startswith("0")
    cmd = json.loads(re.search(r"^CMD (\[.+\])$", text, re.MULTILINE).group(1))
    assert cmd == ["gunicorn", "-c", CONF]


def test_procfile_starts_the_same_server() -> None:
    web = (ROOT / "Procfile").read_text().split("web:", 1)[1].split()
    assert web == ["gunicorn", "-c", CONF]


def test_gunicorn_serves_the_asgi_app_on_port_with_the_hub_pings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.setenv("TODOMESH_HUB_PING_SECONDS", "7")
    conf = importlib.reload(importlib.import_module("functions.gunicorn_conf"))
    assert (conf.bind, conf.wsgi_app) == ("0.0.0.0:9999", "functions.asgi:create_app()")
    options = conf.worker_class.CONFIG_KWARGS
    assert (options["lifespan"], options["ws_ping_interval"]) == ("on", 7.0)


def test_the_build_context_leaves_the_launcher_out() -> None:
    """The self-hosted launcher starts daprd and the apps on a developer's machine;
    the context's allow-list takes functions/ whole, so it must be excluded after."""
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    assert rules.index("functions/launcher/") > rules.index("!functions/")
