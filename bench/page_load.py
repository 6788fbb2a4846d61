"""The web page: what it weighs and how soon it shows, in Debian's headless Chromium.

- `files`: every file under functions/hub/static (the shell, the stylesheet, the ES
  modules), raw and as gzip -9 would send them (the server sends them uncompressed).
- `visitor`: a fresh browser profile (empty cache) opening `/`: first-contentful-paint
  from `performance.getEntriesByType('paint')`, and the bytes it transferred.
- `signed_in`: a signed-in tab reloaded (cache warm, the session resumed from the
  refresh token): first-contentful-paint, and the time until the first page of tasks
  is on screen (the token renewed, the socket live, `GET /api/tasks` rendered).

    python -m bench page_load [--quick]    # writes bench/results/page_load.json
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from bench.stats import summarize_ms
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, CONTEXT, Api, sign_in
from tests.support.platform import PlatformProcess

STATIC = Path(__file__).resolve().parents[1] / "functions" / "hub" / "static"
USER = "bench"
PAINT = "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null"
TRANSFERRED = """() => [...performance.getEntriesByType('navigation'),
  ...performance.getEntriesByType('resource')].reduce((sum, e) => sum + e.transferSize, 0)"""
# Notes when the list stops being busy, in the page's own clock.
LIST_READY = """new MutationObserver((_, observer) => {
  const list = document.getElementById('list');
  if (list && list.getAttribute('aria-busy') === 'false' && list.closest('[hidden]') === null) {
    window.__listReady = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["aria-busy", "hidden"]});
"""


def run(quick: bool = False) -> dict[str, Any]:
    rounds = 5 if quick else 20
    with tempfile.TemporaryDirectory(prefix="todomesh-bench-page-") as tmp:
        platform = PlatformProcess(Path(tmp) / "data").start()
        try:
            with Api(platform.url, platform.data_dir, USER) as client:
                for n in range(20):
                    client.task(title=f"Task {n}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                visitor = _visitor(browser, platform.url, rounds)
                signed_in = _signed_in(browser, platform.url, rounds)
                browser.close()
        finally:
            platform.stop()
    files = _files()
    return {
        "summary": {
            "files": files,
            "visitor_first_contentful_paint": summarize_ms(visitor["fcp"]),
            "visitor_transferred_bytes": max(visitor["bytes"]),
            "signed_in_first_contentful_paint": summarize_ms(signed_in["fcp"]),
            "signed_in_tasks_on_screen": summarize_ms(signed_in["list"]),
        },
        "rounds": rounds,
    }


def _files() -> dict[str, int]:
    paths = [p for p in STATIC.rglob("*") if p.is_file()]
    data = [p.read_bytes() for p in paths]
    return {
        "count": len(paths),
        "raw_bytes": sum(len(d) for d in data),
        "gzip_bytes": sum(len(gzip.compress(d, 9)) for d in data),
    }


def _visitor(browser: Browser, url: str, rounds: int) -> dict[str, list[float]]:
    fcp: list[float] = []
    transferred: list[float] = []
    for _ in range(rounds):
        context = browser.new_context(**CONTEXT)  # a fresh profile: nothing cached
        page = context.new_page()
        page.goto(f"{url}/", wait_until="networkidle")
        page.wait_for_function(PAINT)
        fcp.append(page.evaluate(PAINT) / 1000)
        transferred.append(page.evaluate(TRANSFERRED))
        context.close()
    return {"fcp": fcp, "bytes": transferred}


def _signed_in(browser: Browser, url: str, rounds: int) -> dict[str, list[float]]:
    context = browser.new_context(**CONTEXT)
    context.add_init_script(LIST_READY)
    page = sign_in(context.new_page(), url, USER)
    fcp: list[float] = []
    ready: list[float] = []
    for _ in range(rounds):
        page.reload()
        page.wait_for_function("() => window.__listReady !== undefined")
        fcp.append(page.evaluate(PAINT) / 1000)
        ready.append(page.evaluate("window.__listReady") / 1000)
    context.close()
    return {"fcp": fcp, "list": ready}
