"""The "나만의 RAG" lab (assignment my_rag): its hidden questions, its helpers, and grading it in the sandbox.

The sandbox test grades three notebooks in one run (the index build is the slow part of each):
the master (full marks), the blank exercise (0) and one notebook carrying every alternative of
docs/instructor.md: fusion by normalised scores instead of RRF (no point lost) and three shortcuts,
each of which costs exactly its own test's points.
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from ragfirst.grading.master import exercise_path, load_master, master_path
from ragfirst.rag import my_rag_lab
from ragfirst.rag.corpus import load_corpus
from ragfirst.rag.evaluate import load_questions, normalise, questions_path
from ragfirst.rag.index import default_corpus
from ragfirst.runtime.config import ANSWER_KEYS_DIR

ASSIGNMENT = "my_rag"
# Questions the master's hidden tests name: (id, answerable).
NAMED = {"mq003": True, "mq014": True, "mq019": True, "mq036": False, "mq038": False}


@pytest.fixture(scope="module")
def hidden():
    return load_questions(my_rag_lab.HIDDEN_QUESTIONS)


def test_hidden_questions_stay_out_of_the_sandbox():
    assert my_rag_lab.HIDDEN_QUESTIONS.parent == ANSWER_KEYS_DIR  # jail.read_only_paths() leaves this folder out


def test_hidden_questions_are_new_labelled_and_grounded(hidden):
    docs = {d.doc_id: d for d in load_corpus(default_corpus())}
    shipped = [q for split in ("dev", "test", "realistic_dev", "realistic_test") for q in load_questions(questions_path(split))]
    assert len({q.qid for q in hidden}) == len(hidden) and not {q.qid for q in hidden} & {q.qid for q in shipped}
    assert not {q.question for q in hidden} & {q.question for q in shipped}, "a hidden question the learner can read"
    answerable = [q for q in hidden if q.answerable]
    assert len(answerable) == 34 and len(hidden) - len(answerable) == 4
    for q in hidden:
        assert q.style != "multi_doc"
        if not q.answerable:
            assert not q.doc_ids and not q.key_facts, q.qid
            continue
        assert q.doc_ids and q.key_facts, q.qid
        for doc_id in q.doc_ids:  # any one listed document answers
            text = normalise(docs[doc_id].title + docs[doc_id].text)
            assert all(normalise(fact) in text for fact in q.key_facts), (q.qid, doc_id)
    assert {q.qid: q.answerable for q in hidden if q.qid in NAMED} == NAMED


def test_lab_data_is_plain_and_without_two_document_questions():
    documents, dev = my_rag_lab.course_documents(), my_rag_lab.dev_questions()
    assert len(documents) == 76 and set(documents[0]) == {"doc_id", "title", "text"}
    assert len(dev) == 143 and sum(q["answerable"] for q in dev) == 113
    assert set(dev[0]) == {"id", "question", "answerable", "doc_ids"}


@pytest.mark.parametrize("reply, expected", [
    ("기본 배송비는 3,000원입니다. [faq-002]\n제주는 3,000원 추가입니다. [faq-003][faq-002]\n출처: [faq-002], [faq-003]",
     {"declined": False, "cited": ["faq-002", "faq-003"], "sources": ["faq-002", "faq-003"]}),
    ("문서에서 찾을 수 없습니다. 상담원에게 문의해 주세요.", {"declined": True, "cited": [], "sources": []}),
])
def test_parse_reply_reads_the_lab_format(reply, expected):
    assert my_rag_lab.parse_reply(reply) == expected


@pytest.mark.parametrize("reply, rule", [
    ("", "빈 문자열"),
    ("기본 배송비는 3,000원입니다. [faq-002]", "마지막 줄"),
    ("기본 배송비는 3,000원입니다.\n출처: [faq-002]", "끝나야"),
    ("기본 배송비는 3,000원입니다. [faq-002]\n출처: [faq-003]", "순서"),
    ("기본 배송비는 3,000원입니다. [faq-002]\n출처: faq-002", "쉼표"),
    ("문서에서 찾을 수 없습니다. [faq-002]", "인용이 없어야"),
])
def test_parse_reply_names_the_broken_rule(reply, rule):
    with pytest.raises(ValueError, match=rule):
        my_rag_lab.parse_reply(reply)


@pytest.mark.slow  # Kiwi
def test_keyword_index_ranks_positions_and_names_unknown_nouns():
    index = my_rag_lab.KeywordIndex(["배송비는 3,000원입니다", "필터는 6개월마다 교체합니다", "반품은 7일 이내"])
    assert index.size == 3 and index.ranking("필터 교체 주기")[0][0] == 1
    assert index.ranking("필터 교체 주기", 1) == index.ranking("필터 교체 주기")[:1]
    assert index.ranking("xyz") == [] and "다이슨" in index.unknown_nouns("다이슨 필터")
    with pytest.raises(ValueError, match="텍스트가 없습니다"):
        my_rag_lab.KeywordIndex([])


def _assignment(source: str, name: str):
    """The literal value the cell assigns to ``name``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned in the cell")


@pytest.mark.slow  # Kiwi
def test_the_hidden_chunk_test_lists_kiwis_sentences():
    """The hidden chunk test carries Kiwi's sentences as a literal so the grader never loads Kiwi."""
    from ragfirst.rag.korean import split_sentences

    source = load_master(ASSIGNMENT).by_id["chunk_test"].source
    text = _assignment(source, "_long_text")
    assert [s for line in split_sentences(text.splitlines()) for s in line] == _assignment(source, "_long_sentences")


def test_the_master_asks_for_the_limits_an_index_build_needs():
    assert load_master(ASSIGNMENT).limits == {"cell_timeout": 180, "submission_timeout": 420, "processes": 32,
                                              "address_space_bytes": 4 * 1024**3}


# -- grading in the sandbox ---------------------------------------------------------------------------------------

def _solved(changes: dict[str, list[tuple[str, str]]]):
    """The master with text replaced in some answer cells: {grade_id: [(old, new), ...]}."""
    notebook = nbformat.read(master_path(ASSIGNMENT), as_version=4)
    for cell in notebook.cells:
        for old, new in changes.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""), []):
            assert old in cell.source, old
            cell.source = cell.source.replace(old, new)
    return notebook


RRF_LOOP = """    for ranking in rankings:
        for rank, (doc_id, _score) in enumerate(ranking, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (k + rank)
"""
MIN_MAX_LOOP = """    for ranking in rankings:
        scores = [score for _doc_id, score in ranking]
        low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)
        for doc_id, score in ranking:
            fused[doc_id] = fused.get(doc_id, 0.0) + ((score - low) / (high - low) if high > low else 1.0)
"""
# Each alternative: (changes, the test it costs or None); docs/instructor.md lists the same cases. They touch different
# cells and tests, so one notebook carries them all (one index build instead of four) and each shows in its own test.
ALTERNATIVES = {
    "score_fusion": ({"search_answer": [(RRF_LOOP, MIN_MAX_LOOP)]}, None),  # min-max normalised scores summed
    "character_chunks": ({"chunk_answer": [  # 40-character pieces instead of Kiwi sentences: cuts sentences
        ("    sentences = [sentence for found in split_sentences(lines) for sentence in found]\n",
         "    sentences = [line[i:i + 40] for line in lines for i in range(0, len(line), 40)]\n")]}, "chunk_test"),
    "bare_prompt": ({"prompt_answer": [  # documents and question, no citation or decline rule
        ('        "답의 문장마다 근거가 된 문서를 [faq-002]처럼 대괄호 속 문서 id로 인용해 출처를 밝힙니다.",\n', ""),
        ("        f\"문서에 답이 없으면 '{DECLINE}'라고만 답합니다.\",\n", "")]}, "prompt_test"),
    "never_declines": ({"answer_answer": [("    if confidence(question) < THRESHOLD:\n", "    if False:\n")]}, "decline_test"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from needs import require

    from ragfirst.grading import grader
    from ragfirst.grading.jail import sandbox_problem
    from ragfirst.grading.limits import Limits

    require(sandbox_problem(), "the grading sandbox (user, mount and network namespaces)")
    folder = tmp_path_factory.mktemp("my_rag_submissions")
    (folder / "solution.ipynb").write_bytes(master_path(ASSIGNMENT).read_bytes())
    (folder / "blank.ipynb").write_bytes(exercise_path(ASSIGNMENT).read_bytes())
    combined: dict[str, list[tuple[str, str]]] = {}
    for changes, _ in ALTERNATIVES.values():
        for grade_id, edits in changes.items():
            combined.setdefault(grade_id, []).extend(edits)
    nbformat.write(_solved(combined), folder / "alternatives.ipynb")
    limits = Limits(cell_timeout=10.0, memory_bytes=1536 * 1024**2, submission_timeout=120.0)  # as the other sandbox
    # tests; the master raises what its index build needs (time, threads, address space), not the resident cap
    results = grader.grade_assignment(ASSIGNMENT, folder, tmp_path_factory.mktemp("my_rag_out"), limits,
                                      workers=2, progress=False)
    return {r.student_id: r for r in results}


@pytest.mark.slow
def test_solution_scores_full_marks_and_blank_zero(graded):
    full = load_master(ASSIGNMENT).auto_max
    assert graded["solution"].status == "graded" and graded["solution"].total == full == 16, graded["solution"].message
    assert all(t.hidden_passed is not False for t in graded["solution"].tests)
    assert graded["blank"].status == "graded" and graded["blank"].total == 0, graded["blank"].message


@pytest.mark.slow
def test_each_alternative_scores_its_stated_points(graded):
    """Normalised-score fusion keeps every point; each shortcut loses exactly its own test's points."""
    master = load_master(ASSIGNMENT)
    result = graded["alternatives"]
    costs = {test for _, test in ALTERNATIVES.values() if test}
    assert result.status == "graded", result.message
    assert result.points == {cell.grade_id: 0.0 if cell.grade_id in costs else cell.points for cell in master.tests}
    assert master.auto_max - result.total == 6
