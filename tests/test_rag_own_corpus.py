"""The quote works on a user's own folder, not only on the shipped corpus (issue 14).

Two corpora besides the shipped one: the issue's two-file shop (4 sentences) and the
course's product guides. The model is not called, and the retrieval gate is opened
(threshold 0): what is checked is which sentence the pipeline puts in front of the
reader. The shipped gate is scaled to the shipped corpus and still declines on a
two-file folder; a gate for any corpus is open work (see issue 14).
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from ragfirst.llm.usage import Generation
from ragfirst.rag import store
from ragfirst.rag.answer import answer
from ragfirst.rag.confidence import DEFAULT_MODEL
from ragfirst.rag.index import build_index, default_corpus
from ragfirst.rag.retrieve import Retriever

TINY = {
    "refund.md": "# 환불 규정\n\n구매 후 7일 이내에는 전액 환불됩니다. 7일이 지나면 포인트로만 환불됩니다.\n",
    "hours.md": "# 영업시간\n\n매장은 평일 10시부터 19시까지 엽니다. 토요일은 15시까지 엽니다.\n",
}


def no_model(prompt, **options):
    return Generation("", "none", "none", 0, 0, 0.0, 0.0)


OPEN_GATE = replace(DEFAULT_MODEL, threshold=0.0)


def ask(retriever, question):
    return answer(question, retriever, model=OPEN_GATE, generate=no_model, abstain=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    for name, text in TINY.items():
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / name).write_text(text, encoding="utf-8")
    client = store.open_client(root / "chroma")
    build_index(root / "docs", "mine", client)
    return Retriever.open("mine", client=client)


@pytest.fixture(scope="module")
def guides(tmp_path_factory):
    root = tmp_path_factory.mktemp("guides")
    shutil.copytree(default_corpus() / "guide", root / "docs")
    client = store.open_client(root / "chroma")
    build_index(root / "docs", "guides", client)
    return Retriever.open("guides", client=client)


@pytest.mark.slow
@pytest.mark.parametrize(("question", "sentence"), [
    ("토요일에도 문 열어요?", "토요일은 15시까지 엽니다."),
    ("평일엔 몇 시에 닫아요?", "매장은 평일 10시부터 19시까지 엽니다."),
    ("환불은 언제까지 돼요?", "구매 후 7일 이내에는 전액 환불됩니다."),
])
def test_a_two_file_folder_answers_with_the_right_sentence(tiny, question, sentence):
    result = ask(tiny, question)
    assert sentence in [s for _, s in result.quotes[:2]]


@pytest.mark.slow
@pytest.mark.parametrize(("question", "doc_id"), [
    ("필터는 얼마나 자주 갈아야 해요?", "guide-03"),
    ("E3 오류 뜨면 어떻게 해요?", "guide-06"),
    ("와이파이 연결이 안 돼요 어떻게 하죠", "guide-02"),
])
def test_the_guides_alone_answer_from_the_right_page(guides, question, doc_id):
    result = ask(guides, question)
    assert result.quotes[0][0] == doc_id

