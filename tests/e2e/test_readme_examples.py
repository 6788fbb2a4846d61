"""The README's curl examples, run as they are against a fresh `todomesh dev`, with the
`export TOKEN=...` line it printed at start; any error status fails the run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.platform import PlatformProcess

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("## Calling the API", "## Chat and AI assistants")


def shell_blocks(section: str) -> list[str]:
    text = README.read_text()
    start = text.index(section)
    end = text.index("\n## ", start + len(section))
    return re.findall(r"```sh\n(.*?)```", text[start:end], re.S)


def test_the_readme_commands_work_with_the_printed_token(platform: PlatformProcess) -> None:
    printed = re.search(r"^export TOKEN=\S+$", platform.process.log_text(), re.M)
    assert printed, "todomesh dev prints an `export TOKEN=...` line"
    commands = "\n".join(block for section in SECTIONS for block in shell_blocks(section))
    assert commands.count("curl ") >= 12
    script = "\n".join(["set -euo pipefail", printed.group(0), commands])
    script = script.replace("localhost:8000", platform.url.removeprefix("http://"))
    script = script.replace("curl ", "curl --fail-with-body ")
    script = script.replace(
        "todomesh token", f"{sys.executable} -m functions.cli token --data-dir {platform.data_dir}"
    )
    run = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, f"{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    assert '"replayed":0' in run.stdout.replace(" ", "")  # the last command: the admin's replay
    assert "Buy groceries" in run.stdout  # the chat's answer
