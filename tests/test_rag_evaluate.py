"""Metrics against hand-computed values."""

from __future__ import annotations

import json
import math

import pytest

from ragfirst.rag.evaluate import (
    Question,
    has_key_facts,
    load_questions,
    ndcg_at,
    percentiles,
    recall_at,
    reciprocal_rank,
    retrieval_metrics,
)
from ragfirst.rag.retrieve import rrf


def test_recall_and_reciprocal_rank():
    ranked = ["x", "a", "y", "b"]
    assert recall_at(ranked, {"a", "b"}, 1) == 0.0
    assert recall_at(ranked, {"a", "b"}, 2) == 0.5
    assert recall_at(ranked, {"a", "b"}, 5) == 1.0
    assert reciprocal_rank(ranked, {"a", "b"}) == 0.5
    assert reciprocal_rank(ranked, {"z"}) == 0.0


def test_ndcg_by_hand():
    # gold at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3)
    assert ndcg_at(["a", "x", "b"], {"a", "b"}, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at(["x"] * 10 + ["a"], {"a"}) == 0.0


def test_only_the_needed_documents_count():
    # one of two equivalent answering documents is enough; it counts once in recall and nDCG
    assert recall_at(["x", "a", "b"], {"a", "b"}, 5, needed=1) == 1.0
    assert recall_at(["x", "y"], {"a", "b"}, 5, needed=1) == 0.0
    assert ndcg_at(["x", "a", "b"], {"a", "b"}, 10, needed=1) == pytest.approx(1 / math.log2(3))


def _question(doc_ids, style):
    return Question("q", "?", True, tuple(doc_ids), ("f",), style=style)


def test_multi_doc_questions_need_every_document_others_any():
    assert _question(["a", "b"], "multi_doc").needed == 2
    assert _question(["a", "b"], "jondaetmal").needed == 1
    ranked = [["a", "x"], ["a", "x"]]
    metrics = retrieval_metrics(ranked, [_question(["a", "b"], "multi_doc"), _question(["a", "b"], "banmal")])
    assert metrics["recall_at_5"] == pytest.approx((0.5 + 1.0) / 2)


def test_retrieval_metrics_average_over_questions():
    metrics = retrieval_metrics([["a", "b"], ["x", "c"]], [_question(["a"], ""), _question(["c"], "")])
    assert metrics["recall_at_1"] == 0.5
    assert metrics["recall_at_5"] == 1.0
    assert metrics["mrr"] == pytest.approx(0.75)


def test_rrf_by_hand():
    scores = rrf([["a", "b"], ["b", "c"]], k=60)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["c"] == pytest.approx(1 / 62)


def test_key_facts_ignore_spaces_and_commas():
    assert has_key_facts("배송비는 3000 원입니다", ["3,000원"])
    assert not has_key_facts("배송비는 3,000원입니다", ["3,000원", "무료"])
    assert has_key_facts("아무 답", [])


def test_percentiles():
    assert percentiles([1, 2, 3, 4, 5], (50,)) == {"p50": 3.0}


def test_question_file_errors_name_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    good = {"id": "q1", "question": "배송비?", "answerable": True, "doc_ids": ["a"], "key_facts": ["3,000원"]}
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n{not json}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"q.jsonl:2: JSON"):
        load_questions(path)
    path.write_text(json.dumps({"id": "q1", "question": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"q.jsonl:1: 필드 answerable"):
        load_questions(path)
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    assert load_questions(path)[0].key_facts == ("3,000원",)


def test_recording_answer_quality_replaces_only_the_measured_rows(tmp_path):
    from ragfirst.rag.runner import AnswerRun, record_answer_quality
    from ragfirst.runtime import sourced

    path = tmp_path / "answer_quality.csv"
    path.write_text("item,value,unit,source,date,note\n"
                    "measured.test.handled_rate,0.1,share,old run,2026-01-01,\n"
                    "reported.some-model.simple_retrieval,0.8,share,a paper,2026-04-28,kept\n", encoding="utf-8")
    rows = [{"answerable": True, "correct": True}, {"answerable": True, "correct": False},
            {"answerable": False, "correct": True}, {"answerable": False, "correct": False}]
    run = AnswerRun("hybrid", rows)
    assert run.handled_rate() == 0.5 and run.accuracy() == 0.5
    record_answer_quality({"test": AnswerRun("hybrid", rows[:3])}, "measured: here", "2026-12-02", path)
    table = sourced.load_sourced_csv(path, sourced.FACT_COLUMNS)
    assert table["measured.test.handled_rate"].value == pytest.approx(2 / 3, abs=1e-4)
    assert table["measured.test.answer_accuracy"].value == 0.5
    assert table["measured.test.handled_rate"].source == "measured: here"
    assert table["reported.some-model.simple_retrieval"].note == "kept"
    assert not list(tmp_path.glob(".*.tmp"))
    assert b"\r" not in path.read_bytes()  # the shipped tables end lines with \n; a re-recording must not rewrite every line


def test_paraphrase_left_out_rate_counts_answered_replies_only():
    from ragfirst.rag.runner import AnswerRun

    rows = [{"declined": False, "invented_numbers": ["2024년"]}, {"declined": False, "invented_numbers": []},
            {"declined": True, "invented_numbers": []}]
    assert AnswerRun("hybrid", rows).paraphrase_left_out_rate() == 0.5


def test_compare_sets_puts_retrieval_gate_and_accuracy_of_each_set_in_one_row():
    import numpy as np

    from ragfirst.rag.confidence import ConfidenceModel
    from ragfirst.rag.runner import RATE_LABELS, AnswerRun, RetrievalRun, compare_sets

    questions = [Question("q1", "a", True, ("d1",), ("x",)), Question("q2", "b", True, ("d2",), ("y",)),
                 Question("q3", "c", False, (), ())]
    # one signal; probability > 0.5 exactly when the signal is positive
    model = ConfidenceModel(mean=(0.0,), scale=(1.0,), weights=(1.0,), bias=0.0, threshold=0.5)
    retrieval = RetrievalRun("hybrid", questions, [["d1", "d9"], ["d9", "d8", "d7", "d6", "d5", "d2"], ["d1"]],
                             [0.01] * 3, np.array([[1.0], [-1.0], [-1.0]]))
    answers = AnswerRun("hybrid", [{"answerable": True, "correct": True}, {"answerable": True, "correct": False}])
    row = compare_sets({"set": (retrieval, answers)}, model).loc["set"]
    assert row["recall@5"] == 0.5  # d2 is sixth: outside the top 5
    assert row["MRR"] == round((1 + 1 / 6) / 2, 3)
    assert row[RATE_LABELS["answer_rate"]] == 0.5 and row[RATE_LABELS["decline_rate"]] == 1.0
    assert row["정답률(표본)"] == 0.5
