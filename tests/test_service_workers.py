"""Several uvicorn workers share one index through a `chroma run` server (RAGFIRST_CHROMA_URL)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from rag_fixtures import write_corpus
from ragfirst.service import launch
from test_rag_server import chroma_url  # noqa: F401 - pytest fixture: a real chroma server on loopback

pytestmark = pytest.mark.slow

DOC = """---
id: t-workers
title: 영업시간
category: 안내
---

고객센터는 평일 오전 9시부터 오후 6시까지 전화를 받습니다.
"""


def test_two_workers_see_one_index(chroma_url, tmp_path):  # noqa: F811
    running = launch.start(tmp_path, write_corpus(tmp_path / "docs"), workers=2, RAGFIRST_SERVICE_WARM_LLM="0")
    try:
        secret = running.new_key("workers")
        pids = set()
        for _ in range(60):  # new connections, so the kernel spreads them over both workers
            pids.add(httpx.get(f"{running.url}/health", timeout=30).json()["pid"])
            if len(pids) == 2:
                break
        assert len(pids) == 2, "both worker processes should answer"
        headers = {"Authorization": f"Bearer {secret}"}
        added = httpx.post(f"{running.url}/v1/documents", headers=headers, timeout=300,
                           files={"files": ("hours.md", DOC.encode(), "text/markdown")})
        assert added.status_code == 200 and added.json()["changed"], added.text
        seen = {}
        for _ in range(30):  # whichever worker answers, the upload is in its index
            health = httpx.get(f"{running.url}/health", timeout=30).json()["pid"]
            listed = httpx.get(f"{running.url}/v1/documents", headers=headers, timeout=60)
            seen.setdefault(health, []).append("t-workers" in [d["id"] for d in listed.json()["documents"]])
        assert all(all(flags) for flags in seen.values()), seen
        stats = httpx.get(f"{running.url}/v1/stats", headers=headers, timeout=60).json()
        assert stats["routes"]["/v1/documents"]["requests"] == 31  # both workers write to one request log
    finally:
        running.stop()


def test_questions_while_another_worker_replaces_the_index_are_answered(chroma_url, tmp_path):  # noqa: F811
    running = launch.start(tmp_path, write_corpus(tmp_path / "docs"), workers=2, RAGFIRST_SERVICE_WARM_LLM="0")
    try:
        headers = {"Authorization": f"Bearer {running.new_key('replaced')}"}
        statuses: dict[int, int] = {}
        uploading = threading.Event()

        def search():
            with httpx.Client(base_url=running.url, headers=headers, timeout=60) as client:
                while not uploading.is_set():
                    time.sleep(0.01)
                while uploading.is_set():  # each worker reads the index while uploads replace it under it
                    status = client.post("/v1/search", json={"question": "고객센터 전화 상담 시간"}).status_code
                    statuses[status] = statuses.get(status, 0) + 1

        searchers = [threading.Thread(target=search) for _ in range(3)]
        for thread in searchers:
            thread.start()
        uploading.set()
        try:
            for number in range(6):
                document = DOC.replace("t-workers", f"t-workers-{number}").replace("평일", f"평일({number})")
                added = httpx.post(f"{running.url}/v1/documents", headers=headers, timeout=300,
                                   files={"files": (f"hours-{number}.md", document.encode(), "text/markdown")})
                assert added.status_code == 200 and added.json()["changed"], added.text
        finally:
            uploading.clear()
            for thread in searchers:
                thread.join(120)
        assert statuses.get(200, 0) > 5 and set(statuses) == {200}, statuses
    finally:
        running.stop()
