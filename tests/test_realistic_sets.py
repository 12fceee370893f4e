"""Checks for the realistic chat-style message sets (issue 14).

data/questions/realistic_{dev,test}.jsonl and data/requests/realistic_{dev,test}.jsonl
are scored by rag_bench and hybrid_bench beside the shipped splits, so a wrong gold
document, a key fact the document does not contain, a leaked text or a bad intent
would silently move the reported numbers. The label rules are those of
data/questions/README.md and data/requests/README.md; the helpers are the ones
tests/test_corpus.py uses for the shipped sets.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from question_checks import assert_multi_doc_needs_every_document, assert_question_record
from test_corpus import CATEGORIES, DATA, QUESTION_FIELDS, QUESTIONS, STYLES, normalise, read_jsonl

from ragfirst.hybrid.requests import INTENTS, load_requests
from ragfirst.rag.corpus import load_corpus
from ragfirst.rag.evaluate import load_questions
from ragfirst.rag.index import default_corpus

REQUESTS = DATA / "requests"

# Styles the realistic question sets add to the shipped ones (data/questions/README.md);
# every split carries all of them, and the shipped styles may appear beside them.
NEW_STYLES = {"story", "two_questions", "emotional", "misspelt", "numbers", "situation", "polite_long"}
QUESTION_STYLES = STYLES | NEW_STYLES
REQUEST_STYLES = {"jondaetmal", "banmal", "typo", "story", "emotional", "misspelt", "numbers", "situation",
                  "polite_long", "mixed"}
REQUEST_FIELDS = {"id", "text", "intent", "style"}

# The least each file holds, as the READMEs state.
MIN_QUESTIONS = {"realistic_dev": 130, "realistic_test": 110}
MIN_REQUESTS = {"realistic_dev": 130, "realistic_test": 90}


@pytest.fixture(scope="module")
def bodies() -> dict[str, str]:
    """Document id -> normalised title + body, read the way the RAG pipeline reads the corpus."""
    return {doc.doc_id: normalise(doc.title + doc.text) for doc in load_corpus(default_corpus())}


@pytest.fixture(scope="module")
def questions() -> dict[str, list[dict]]:
    return {name: read_jsonl(QUESTIONS / f"{name}.jsonl") for name in MIN_QUESTIONS}


@pytest.fixture(scope="module")
def requests_() -> dict[str, list[dict]]:
    return {name: read_jsonl(REQUESTS / f"{name}.jsonl") for name in MIN_REQUESTS}


def shipped(folder, names) -> list[dict]:
    return [row for name in names for row in read_jsonl(folder / f"{name}.jsonl")]


def test_question_files_load_and_meet_their_counts(questions):
    for name, rows in questions.items():
        assert len(rows) >= MIN_QUESTIONS[name], f"{name}: {len(rows)} questions"
        assert len(load_questions(QUESTIONS / f"{name}.jsonl")) == len(rows)


def test_question_records_are_well_formed(questions):
    for name, rows in questions.items():
        for row in rows:
            where = f"{name}.jsonl {row.get('id')}"
            assert_question_record(row, where, QUESTION_FIELDS, r"^rq\d{4}$", CATEGORIES, QUESTION_STYLES)
            if row["style"] == "two_questions":
                assert len(row["key_facts"]) == 2, f"{where}: two_questions needs a key fact per question"


def test_gold_documents_exist_and_hold_the_key_facts(questions, bodies):
    """Ordinary questions: every listed document alone holds every key fact (README rule)."""
    for name, rows in questions.items():
        for row in rows:
            where = f"{name}.jsonl {row['id']}"
            for doc_id in row["doc_ids"]:
                assert doc_id in bodies, f"{where}: unknown document {doc_id}"
            facts = [normalise(fact) for fact in row["key_facts"]]
            assert all(facts), f"{where}: empty key fact"
            if row["style"] == "multi_doc":
                for fact, raw in zip(facts, row["key_facts"]):
                    assert any(fact in bodies[d] for d in row["doc_ids"]), f"{where}: {raw!r} is in no listed document"
            else:
                for doc_id in row["doc_ids"]:
                    missing = [raw for fact, raw in zip(facts, row["key_facts"]) if fact not in bodies[doc_id]]
                    assert not missing, f"{where}: {doc_id} lacks key facts {missing}"


def test_multi_doc_questions_really_need_every_listed_document(questions, bodies):
    for name, rows in questions.items():
        for row in rows:
            if row["style"] == "multi_doc":
                assert_multi_doc_needs_every_document(row, f"{name}.jsonl {row['id']}", bodies, normalise)


def test_question_mix(questions):
    for name, rows in questions.items():
        styles = Counter(row["style"] for row in rows)
        assert 0.15 <= styles["unanswerable"] / len(rows) <= 0.25, f"{name}: {styles}"
        assert styles["multi_doc"] / len(rows) >= 0.05, f"{name}: {styles}"
        assert {row["category"] for row in rows} == CATEGORIES, f"{name}: some category is missing"
        assert NEW_STYLES | {"unanswerable", "multi_doc"} <= set(styles), f"{name}: styles {sorted(styles)}"


def test_request_files_load_and_meet_their_counts(requests_):
    for name, rows in requests_.items():
        assert len(rows) >= MIN_REQUESTS[name], f"{name}: {len(rows)} requests"
        assert len(load_requests(REQUESTS / f"{name}.jsonl")) == len(rows)


def test_request_records_are_well_formed_and_balanced(requests_):
    for name, rows in requests_.items():
        for row in rows:
            where = f"{name}.jsonl {row.get('id')}"
            assert set(row) == REQUEST_FIELDS, f"{where}: fields {sorted(row)}"
            assert re.match(r"^rr-\d{4}$", row["id"]), f"{where}: bad id"
            assert isinstance(row["text"], str) and row["text"].strip(), f"{where}: empty text"
            assert row["intent"] in INTENTS, f"{where}: unknown intent {row['intent']!r}"
            assert row["style"] in REQUEST_STYLES, f"{where}: unknown style {row['style']!r}"
        intents = Counter(row["intent"] for row in rows)
        assert set(intents) == set(INTENTS), f"{name}: {intents}"
        assert min(intents.values()) >= 0.8 * max(intents.values()), f"{name}: intents not balanced {intents}"


def test_ids_are_unique_across_every_set():
    rows = (shipped(QUESTIONS, ("dev", "test", *MIN_QUESTIONS))
            + shipped(REQUESTS, ("train", "heldout", *MIN_REQUESTS)))
    ids = Counter(row["id"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1], "ids repeat across the question and request sets"


@pytest.mark.parametrize(("folder", "field", "old", "new"), [
    (QUESTIONS, "question", ("dev", "test"), tuple(MIN_QUESTIONS)),
    (REQUESTS, "text", ("train", "heldout"), tuple(MIN_REQUESTS)),
], ids=["questions", "requests"])
def test_no_text_is_shared_with_the_shipped_sets_or_between_splits(folder, field, old, new):
    seen = {normalise(row[field]) for row in shipped(folder, old)}
    for name in new:
        for row in read_jsonl(folder / f"{name}.jsonl"):
            text = normalise(row[field])
            assert text not in seen, f"{name}.jsonl {row['id']}: text repeats a shipped or earlier message"
            seen.add(text)
