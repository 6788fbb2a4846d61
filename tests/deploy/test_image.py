"""The image contract: Containerfile and Procfile start the same gunicorn command.

Building and starting the image needs an image builder and a reachable base
image registry: that test carries the `image` marker and runs with `task test:image`
(and in the GitHub workflow's image job), not in `task test`.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess

import pytest

from tests.support.deploy import ROOT

pytestmark = pytest.mark.deploy

ENTRY = "functions.wsgi:create_app()"
CONF = "python:functions.gunicorn_conf"


def test_containerfile_is_multi_stage_slim_and_non_root() -> None:
    text = (ROOT / "Containerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    assert "slim" in text
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)[-1]
    assert user.split(":")[0].isdigit() and not user.startswith("0")
    cmd = json.loads(re.search(r"^CMD (\[.+\])$", text, re.MULTILINE).group(1))
    assert cmd == ["gunicorn", "-c", CONF, ENTRY]


def test_procfile_starts_the_same_server() -> None:
    web = (ROOT / "Procfile").read_text().split("web:", 1)[1].split()
    assert web == ["gunicorn", "-c", CONF, f"'{ENTRY}'"]


def test_gunicorn_settings_come_from_port_and_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.setenv("GUNICORN_THREADS", "1100")
    conf = importlib.reload(importlib.import_module("functions.gunicorn_conf"))
    assert (conf.bind, conf.threads, conf.worker_class) == ("0.0.0.0:9999", 1100, "gthread")


def usable_builder() -> str | None:
    """podman or docker whose engine answers (a docker client alone is not enough)."""
    for name in ("podman", "docker"):
        path = shutil.which(name)
        if (
            path
            and subprocess.run([path, "info"], capture_output=True, check=False).returncode == 0
        ):
            return path
    return None


@pytest.mark.image
def test_image_builds_and_imports_the_app() -> None:
    builder = usable_builder()
    assert builder, "no image builder with a running engine (podman, or docker and its daemon)"
    tag = "todomesh:deploy-test"
    build = subprocess.run(
        [builder, "build", "-f", "Containerfile", "-t", tag, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    run = subprocess.run(
        [
            builder,
            "run",
            "--rm",
            "-e",
            "FUNCTION_TARGET=todo",
            tag,
            "python",
            "-c",
            "import functions.wsgi",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
