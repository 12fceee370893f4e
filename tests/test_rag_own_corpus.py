"""The gate and the quote on a user's own folder, not only on the shipped corpus (issue 14).

Three corpora besides the shipped one: the issue's two-file shop (4 sentences), half of
the shipped corpus (38 documents) and the course's product guides (10 pages). Raw BM25
grows with log(index size), so a gate fitted on the shipped corpus once declined every
question about the two-file folder; it now reads BM25 in units of ``max_idf``, and the
first two corpora go through the shipped gate. The model is not called: what is checked
is whether the gate lets a question through and which sentence the pipeline quotes.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import bm25s
import pytest

from ragfirst.llm.usage import Generation
from ragfirst.rag import store
from ragfirst.rag.answer import answer
from ragfirst.rag.confidence import DEFAULT_MODEL, confidence
from ragfirst.rag.corpus import load_corpus
from ragfirst.rag.evaluate import load_questions, questions_path
from ragfirst.rag.focus import search_message
from ragfirst.rag.index import build_index, default_corpus
from ragfirst.rag.retrieve import Retriever, max_idf
from ragfirst.runtime import claims

TINY = {
    "refund.md": "# 환불 규정\n\n구매 후 7일 이내에는 전액 환불됩니다. 7일이 지나면 포인트로만 환불됩니다.\n",
    "hours.md": "# 영업시간\n\n매장은 평일 10시부터 19시까지 엽니다. 토요일은 15시까지 엽니다.\n",
}

SHOP_ANSWERABLE = [
    "토요일에도 문 열어요?",
    "일주일 지나면 환불 안 되나요?",
    "평일 몇 시까지 해요?",
    "환불은 며칠 안에 해야 하나요?",
    "산 지 열흘 됐는데 환불받을 수 있나요? 포인트로라도요",
    "주말에 가려고 하는데 토요일 몇 시에 닫아요?",
    "매장 영업시간 알려주세요",
    "구매하고 3일 지났는데 전액 환불 가능해요?",
]
SHOP_UNANSWERABLE = [
    "다이슨 청소기 할인하나요?",
    "주차 가능한가요?",
    "배송비는 얼마예요?",
    "해외 배송도 되나요?",
    "회원 등급 혜택이 뭐예요?",
    "일요일에도 영업하나요?",
]


def no_model(prompt, **options):
    return Generation("", "none", "none", 0, 0, 0.0, 0.0)


# Pages about one product share their topic words (필터, 연결, 오류 in most pages), so those words
# carry little IDF and the shipped gate still declines such questions on the guides alone
# (confidence 0.50-0.65, threshold 0.670): open work in issue 14. Their quotes are checked with the gate open.
OPEN_GATE = replace(DEFAULT_MODEL, threshold=0.0)


def ask(retriever, question, gate=DEFAULT_MODEL):
    result = answer(question, retriever, model=gate, generate=no_model, abstain=False)
    assert not result.declined, f"the gate declined {question!r} (confidence {result.confidence:.3f})"
    return result


def passes_gate(retriever: Retriever, question: str) -> bool:
    return DEFAULT_MODEL.answers(confidence(search_message(retriever, question, k=5)))


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
    result = ask(guides, question, gate=OPEN_GATE)
    assert result.quotes[0][0] == doc_id


def test_max_idf_is_the_bm25s_idf_of_a_term_found_in_one_chunk():
    """The unit must match the library's scoring, or the gate's feature means something else.

    Lucene BM25 of one occurrence in a chunk of average length is idf / (1 + k1).
    """
    chunks = [["환불", "포인트", "7일"], ["토요일", "평일", "영업"], ["배송", "주문", "결제"], ["교환", "불량", "접수"]]
    index = bm25s.BM25()
    index.index(chunks, show_progress=False)
    scores = index.get_scores(["토요일"])
    assert scores[1] == pytest.approx(max_idf(len(chunks)) / (1 + index.k1), rel=1e-5)
    assert max_idf(2) < max_idf(76) < max_idf(10_000)


@pytest.mark.slow
def test_a_two_file_folder_answers_what_its_files_say(tiny):
    retriever = tiny
    answered = [q for q in SHOP_ANSWERABLE if passes_gate(retriever, q)]
    declined = [q for q in SHOP_UNANSWERABLE if not passes_gate(retriever, q)]
    # measured: 7 of 8 answered ("며칠" is not in the files), 6 of 6 declined
    claims.check(
        claims.holds("이슈의 예시 질문은 답합니다", "토요일에도 문 열어요?" in answered),
        claims.at_least("작은 폴더: 답할 수 있는 질문 응답률", len(answered) / len(SHOP_ANSWERABLE), 0.75),
        claims.at_least("작은 폴더: 답 없는 질문 거절률", len(declined) / len(SHOP_UNANSWERABLE), 5 / 6),
    )


@pytest.mark.slow
def test_half_the_corpus_answers_its_documents_and_declines_the_rest(tmp_path):
    """Questions whose gold documents were all left out become unanswerable for this smaller index.

    Measured (38 of 76 documents, the test splits): 0.882 answered (the raw-BM25 gate: 0.782),
    0.403 declined (0.494); a quarter of the corpus gave 0.74-0.86 answered.
    """
    folder = tmp_path / "half"
    documents = sorted(load_corpus(default_corpus()), key=lambda d: d.doc_id)[::2]
    for document in documents:
        (folder / document.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(default_corpus() / document.path, folder / document.path)
    client = store.open_client(tmp_path / "chroma")
    build_index(folder, collection="half", client=client)
    retriever = Retriever.open("half", client=client)
    kept = {d.doc_id for d in documents}
    questions = load_questions(questions_path("test")) + load_questions(questions_path("realistic_test"))
    inside = [q for q in questions if q.answerable and set(q.doc_ids) <= kept]
    outside = [q for q in questions if not q.answerable or not set(q.doc_ids) & kept]
    answer_rate = sum(passes_gate(retriever, q.question) for q in inside) / len(inside)
    decline_rate = sum(not passes_gate(retriever, q.question) for q in outside) / len(outside)
    claims.check(
        claims.at_least("절반 코퍼스: 응답률", answer_rate, 0.82),
        claims.at_least("절반 코퍼스: 거절률", decline_rate, 0.35),
    )
