"""The same pipeline through a real `chroma run` server on loopback (RAGFIRST_CHROMA_URL)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ragfirst.rag import store
from ragfirst.rag.index import build_index
from ragfirst.rag.retrieve import Retriever
from rag_fixtures import write_corpus

NAME = "server-docs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def chroma_url(tmp_path, monkeypatch):
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {(tmp_path / 'chroma.log').read_text(errors='replace')[-2000:]}")
                time.sleep(0.5)
        monkeypatch.setenv("RAGFIRST_CHROMA_URL", url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.slow
def test_pipeline_through_http_client(chroma_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RAGFIRST_CACHE", str(tmp_path / "cache"))
    client = store.open_client()  # picks RAGFIRST_CHROMA_URL
    assert type(client).__name__ != "PersistentClient" and client.heartbeat() > 0
    corpus = write_corpus(tmp_path / "docs")
    first = build_index(corpus, NAME)
    assert first.added == first.chunks > 0
    assert build_index(corpus, NAME).changed is False  # idempotent through the server too
    assert not (tmp_path / "cache" / "chroma").exists()  # nothing went to the on-disk default
    result = Retriever.open(NAME).search("30,000원 넘게 사면 배송비 무료예요?", k=3)
    assert result.hits[0].doc_id == "t-ship" and result.hits[0].dense_score is not None
    assert NAME in store.collection_names(store.open_client(url=chroma_url))
