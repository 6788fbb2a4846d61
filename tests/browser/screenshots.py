"""`task screenshots`: the page's main views at desktop and 360 px phone width, in light
and dark mode, into docs/screenshots/ (shown in the README).

Starts its own `todomesh dev` on a free port with demo tasks for alice, and signs in
through the sign-in page like anyone else. Run: `python -m tests.browser.screenshots`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTEXT,
    Api,
    at,
    local_day,
    row,
    sign_in,
    title_of,
)
from tests.support.platform import PlatformProcess

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
USER = "alice"


def seed(client: Api) -> None:
    today, now = local_day(), datetime.now(UTC)
    client.task(
        title="Submit the expense report",
        due_date=at(local_day(-1), 17),
        tags=["work"],
        priority="high",
    )
    client.task(title="Call the dentist", due_date=at(today, 14), tags=["health"])
    client.task(
        title="Buy groceries",
        due_date=at(today, 12),
        all_day=True,
        timezone="Europe/Berlin",
        tags=["home"],
        reminder_time=(now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    client.task(
        title="Team retro",
        due_date=at(local_day(1), 15),
        tags=["work"],
        description="Bring the sticky notes",
    )
    client.task(
        title="Pay rent",
        due_date=at(local_day(2), 9),
        recurrence="FREQ=MONTHLY;BYDAY=+3FR",
        tags=["bills"],
        priority="high",
        timezone="Europe/Berlin",
    )
    client.task(
        title="Water the plants",
        due_date=at(local_day(2), 8),
        all_day=True,
        recurrence="FREQ=DAILY;INTERVAL=3",
        timezone="Europe/Berlin",
    )
    client.task(
        title="Book the flights",
        timezone="Europe/Berlin",
        due_date=at(local_day(5), 12),
        all_day=True,
        tags=["travel"],
        priority="low",
    )
    done = client.task(title="Renew the passport")
    client.post(f"/api/tasks/{done['id']}/complete").raise_for_status()  # fmt: skip


def tasks_scene(page: Page) -> None:
    page.get_by_role("link", name="Upcoming").click()
    expect(row(page, "Pay rent")).to_be_visible()
    page.get_by_label("Add a task").fill("call mom tomorrow 5pm #family p1")
    expect(page.locator("#quick-mirror button.hl")).to_have_count(4)


def editor_scene(page: Page) -> None:
    page.get_by_role("link", name="Upcoming").click()
    title_of(page, "Pay rent").click()
    expect(page.get_by_role("dialog", name="Edit “Pay rent”")).to_be_visible()
    page.locator("#f-title").blur()


def inbox_scene(page: Page) -> None:
    page.get_by_role("link", name="Today").click()
    expect(page.locator("#unread")).to_have_text("1", timeout=30_000)
    page.get_by_role("button", name="Inbox, 1 unread").click()
    expect(page.locator("li.note")).to_have_count(1)


def chat_scene(page: Page) -> None:
    page.get_by_role("link", name="Today").click()
    page.get_by_role("button", name="Chat").click()
    chat = page.get_by_role("complementary", name="Chat")
    for line in ("what is due today?", "add buy stamps on friday"):
        count = chat.locator(".from-app").count()
        chat.get_by_label("Message", exact=True).fill(line)
        chat.get_by_role("button", name="Send").click()
        expect(chat.locator(".from-app")).to_have_count(count + 1)
        expect(chat.locator(".from-app").last).not_to_have_attribute("aria-busy", "true")
    chat.get_by_label("Message", exact=True).blur()


SCENES: dict[str, Callable[[Page], None]] = {
    "tasks": tasks_scene,
    "editor": editor_scene,
    "inbox": inbox_scene,
    "chat": chat_scene,
}


def shoot(platform: PlatformProcess, out: Path) -> list[Path]:
    made = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    **{**CONTEXT, "viewport": viewport}, color_scheme=scheme
                )
                page = sign_in(context.new_page(), platform.url, USER)
                for name, scene in SCENES.items():
                    page.goto(f"{platform.url}/#today")
                    page.reload()
                    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
                    scene(page)
                    path = out / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=path, animations="disabled", caret="hide")
                    made.append(path)
                context.close()
        browser.close()
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.browser.screenshots", description=__doc__
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="todomesh-screens-") as tmp:
        env = {"TODOMESH_RATE_LIMIT_WRITES": "100000/minute"}
        platform = PlatformProcess(Path(tmp) / "data", env=env).start()
        try:
            with Api(platform.url, platform.data_dir, USER) as client:
                seed(client)
            for path in shoot(platform, args.out):
                print(
                    f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
                    f"  {path.stat().st_size // 1024} KiB"
                )
        finally:
            platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
