"""Headless Chromium from Debian's packages, driven by Playwright (no `playwright install`).

``open_page(url)`` yields the page and a live list of problems: console errors,
uncaught page errors, failed requests and responses with HTTP status >= 400. A test
asserts the list is empty when it is done with the page.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@functools.cache
def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium fonts-nanum"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright is not installed ({error}); run make setup"
    try:
        version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{CHROMIUM} --version failed: {error}"
    if "Chromium" not in version.stdout:
        return f"{CHROMIUM} --version said {version.stdout.strip()!r} {version.stderr.strip()[-200:]!r}"
    return None


@contextmanager
def open_page(url: str) -> Iterator[tuple["Page", list[str]]]:  # noqa: F821 - playwright's Page
    """A fresh browser and page at ``url``, with every problem it reports collected in a list."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(locale="ko-KR")
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.method} {r.url} {r.failure}"))
            page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
            page.goto(url)
            yield page, problems
        finally:
            browser.close()
