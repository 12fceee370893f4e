"""Debian's Chromium driven by Playwright, for tests that look at pages as a person would.

Playwright's own browser download cannot run here (no network), so the tests
drive the system binary. ``open_page`` collects every problem a reader would
meet: console errors, failed requests and HTTP error responses, and every request
that would leave loopback (a page the course serves must work offline; host names
other than localhost do not resolve in this browser, so such a request fails at once).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_SCHEMES = ("data", "blob", "about")


def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        hint = f" (found {found})" if found else ""
        return f"{CHROMIUM} is missing{hint}: apt-get install chromium fonts-nanum"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make setup installs it)"
    return None


def leaves_loopback(url: str) -> bool:
    """True for a request to anywhere but this machine's loopback addresses."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES or parts.hostname == "localhost":
        return False
    try:
        return not ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return True


@contextmanager
def open_page(url: str) -> Iterator[tuple[Page, list[str]]]:
    """A loaded page and a live list of the problems seen so far."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(locale="ko-KR")
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
            page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
            page.on("request", lambda r: problems.append(f"request leaving loopback: {r.url}") if leaves_loopback(r.url) else None)
            page.goto(url, wait_until="load")
            yield page, problems
        finally:
            browser.close()
