"""The browser tier's helpers (also used by `task screenshots`): Debian's Chromium,
signing in through the real sign-in page, the API with a token, and the axe-core audit.

Chromium comes from `infra/chromium/install.sh`, axe-core from `infra/axe/install.sh`
(into the todomesh cache, never the repo).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from functions.identity import mint_token
from functions.launcher.processes import wait_until
from tests.support.platform import PlatformProcess

CHROMIUM = Path(os.environ.get("TODOMESH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CACHE = Path(os.environ.get("TODOMESH_CACHE", Path.home() / ".cache" / "todomesh"))
AXE = CACHE / "npm" / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 15_000
# Every tab lives in Berlin and reads British English, whatever the machine says.
ZONE = "Europe/Berlin"
CONTEXT: dict[str, Any] = {
    "viewport": {"width": 1280, "height": 860},
    "timezone_id": ZONE,
    "locale": "en-GB",
}
SERIOUS = ("serious", "critical")
# Tests write faster than a person: the write budget must not be what they measure.
PLATFORM_ENV = {"TODOMESH_RATE_LIMIT_WRITES": "100000/minute"}
OpenTab = Callable[..., Page]  # audit_tab(user | None, **context options) -> Page


def local_day(days: int = 0) -> date:
    """The date in the tabs' zone, `days` from today."""
    return datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=days)


def at(day: date, hour: int, minute: int = 0) -> str:
    """RFC 3339 (UTC) of a wall time in the tabs' zone."""
    moment = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(ZONE))
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_in(page: Page, base_url: str, user: str) -> Page:
    """Open the page, sign in as `user` through the provider's sign-in page, wait for live."""
    page.goto(f"{base_url}/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth/authorize?**")
    page.get_by_label("Your name").fill(user)
    page.get_by_role("button", name="Sign in").click()
    return live(page)


def live(page: Page) -> Page:
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    return page


def row(page: Page, title: str) -> Locator:
    """The list row of the task called exactly `title`."""
    return page.locator("li.task").filter(has=page.get_by_role("button", name=title, exact=True))


def title_of(page: Page, title: str) -> Locator:
    """The task's title button (it opens the editor)."""
    return page.get_by_role("button", name=title, exact=True)


def titles(page: Page) -> list[str]:
    return page.locator("#list li.task .title").all_inner_texts()


class Api(requests.Session):
    """The REST API as `user`, with a token the platform on `data_dir` accepts."""

    def __init__(self, base_url: str, data_dir: Path, user: str) -> None:
        super().__init__()
        self.base_url, self.user = base_url, user
        self.headers["Authorization"] = f"Bearer {mint_token(data_dir, user, ttl=3600)}"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)

    def task(self, **fields: Any) -> dict[str, Any]:
        response = self.post("/api/tasks", json=fields)
        assert response.status_code == 201, response.text
        return response.json()

    def get_task(self, task_id: str) -> dict[str, Any]:
        response = self.get(f"/api/tasks/{task_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, task_id: str, what: str, check: Any, timeout: float = 20) -> None:
        """Poll the task (None once it is gone) until `check(task)` holds."""

        def current() -> Any:
            response = self.get(f"/api/tasks/{task_id}")
            return response.json() if response.status_code == 200 else None

        wait_until(lambda: bool(check(current())), what=what, timeout=timeout)

    def find(self, title: str) -> dict[str, Any] | None:
        """The open or complete task called `title` (searched through the API)."""
        items = self.get("/api/tasks", params={"q": title, "limit": 200}).json()["items"]
        return next((task for task in items if task["title"] == title), None)


def violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in SERIOUS
    ]


def assert_accessible(page: Page, where: str) -> None:
    """No serious or critical axe finding, in light and in dark mode."""
    problems: list[str] = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        problems += [f"[{scheme}] {problem}" for problem in violations(page)]
    page.emulate_media(color_scheme="light")
    assert not problems, f"accessibility of {where}:\n" + "\n".join(problems)


class PageErrors:
    """Uncaught errors and CSP violations of every page in a context."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.found.append(f"CSP: {message.text}")


class Tabs:
    """`tabs(user)`: a new signed-in tab of one browser window, under the page's CSP;
    `tabs(user, context=tabs.new_context())` a tab of another window (another device),
    `platform=` on another platform. Uncaught errors and CSP violations fail the test."""

    def __init__(self, browser: Browser, site: PlatformProcess) -> None:
        self.browser, self.site = browser, site
        self.contexts: list[BrowserContext] = []
        self.errors = PageErrors()

    def new_context(self, **options: Any) -> BrowserContext:
        context = self.browser.new_context(**{**CONTEXT, **options})
        context.on("page", self.errors.watch)
        self.contexts.append(context)
        return context

    def __call__(
        self,
        name: str,
        context: BrowserContext | None = None,
        platform: PlatformProcess | None = None,
    ) -> Page:
        context = context or (self.contexts[0] if self.contexts else self.new_context())
        return sign_in(context.new_page(), (platform or self.site).url, name)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
