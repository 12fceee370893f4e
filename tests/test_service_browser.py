"""The service's pages in a real browser: Debian's Chromium asks a question on the chat page and sees the
answer stream in, and reads the API docs with no network beyond loopback."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from browser import chromium_problem, open_page
from needs import require
from service_support import key, service  # noqa: F401 - pytest fixtures

pytestmark = pytest.mark.slow

REPORTS = Path(__file__).resolve().parent.parent / "reports"  # git-ignored


def distinct_colours(png: bytes) -> int:
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    return len(image.resize((200, 200)).getcolors(maxcolors=200 * 200))


def test_chat_page_streams_an_answer_with_sources(service, key):
    require(chromium_problem(), "Debian's chromium")
    from playwright.sync_api import expect

    with open_page(service.url + "/") as (page, problems):
        assert page.title().startswith("맑은숨")
        page.fill("#api-key", key)
        page.fill("#question", "30,000원 넘게 사면 배송비 무료예요?")
        page.click("#ask-button")
        expect(page.locator("#answer")).to_have_text(re.compile(r"\S"), timeout=300_000)  # first words
        page.wait_for_selector("#sources li", timeout=300_000)  # the final event
        assert int(page.get_attribute("#answer", "data-pieces")) >= 2  # written piece by piece as they arrived
        answer = page.text_content("#answer")
        sources = page.locator("#sources li").all_text_contents()
        meta = page.text_content("#meta")
        assert answer.strip() and page.is_hidden("#declined")
        assert any("[t-ship]" in s and "배송비는 얼마인가요?" in s for s in sources), sources
        assert "응답 시간" in meta and "비용" in meta and "첫 글자" in meta
        REPORTS.mkdir(exist_ok=True)
        shot = page.screenshot(path=str(REPORTS / "service_chat_page.png"), full_page=True)
        assert distinct_colours(shot) > 20  # not a blank page: text, boxes and colours were drawn

        # a question the documents do not answer is declined plainly, without sources
        page.fill("#question", "회사 주차장은 몇 층에 있나요?")
        page.click("#ask-button")
        page.wait_for_selector("#declined:not([hidden])", timeout=300_000)
        assert "답하지 않았습니다" in page.text_content("#declined")
        assert page.is_hidden("#sources-box")
        assert problems == []


def test_chat_page_shows_the_services_korean_error(service):
    require(chromium_problem(), "Debian's chromium")
    with open_page(service.url + "/") as (page, problems):
        page.fill("#api-key", "rf_wrong-key")
        page.fill("#question", "배송비는 얼마인가요?")
        page.click("#ask-button")
        page.wait_for_selector("#error:not([hidden])", timeout=60_000)
        assert "API 키" in page.text_content("#error")
        # the refused request (and the console line Chromium writes about it) are the only problems
        assert any("HTTP 401" in p and "/v1/ask" in p for p in problems)
        assert all("401" in p for p in problems), problems


def test_api_docs_render_offline_from_the_service_itself(service):
    require(chromium_problem(), "Debian's chromium")
    with open_page(service.url + "/docs") as (page, problems):
        page.wait_for_selector('.opblock-summary-path[data-path="/v1/ask"]', timeout=30_000)  # Swagger UI ran
        paths = page.eval_on_selector_all(".opblock-summary-path", "spans => spans.map(s => s.dataset.path)")
        assert {"/v1/ask", "/v1/search", "/v1/documents", "/v1/stats"} <= set(paths)
        assert problems == []  # no console error, and nothing asked of a CDN
    redoc = httpx.get(service.url + "/redoc", timeout=30)  # ReDoc is off: its page would fetch its logo from a CDN
    assert redoc.status_code == 404 and "/docs" in redoc.json()["message"]
