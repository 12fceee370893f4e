"""Schema and consistency checks for the synthetic knowledge base and its questions.

The RAG, LoRA and hybrid lessons all score answers against these files, so a
broken id, a key fact that no document contains, or a leaked test question would
silently corrupt every measured number. These tests fail loudly instead.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from question_checks import assert_multi_doc_needs_every_document, assert_question_record

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = DATA / "corpus"
QUESTIONS = DATA / "questions"

CATEGORIES = {"배송", "교환·반품", "환불·결제", "구독·정기배송", "제품 사용", "A/S·보증", "계정·앱", "회원·혜택"}
STYLES = {"jondaetmal", "banmal", "colloquial", "typo", "paraphrase", "multi_doc", "unanswerable"}
QUESTION_FIELDS = {"id", "question", "answerable", "doc_ids", "key_facts", "category", "style"}
ID_PATTERN = {"faq": re.compile(r"^faq-\d{3}$"), "guide": re.compile(r"^guide-\d{2}$")}


def normalise(text: str) -> str:
    """Drop whitespace and commas so '3,000원' matches '3000원' and line breaks do not matter."""
    return re.sub(r"[\s,]", "", text)


def read_doc(path: Path) -> tuple[dict, str]:
    """Split a Markdown file into (front matter dict, body)."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.DOTALL)
    assert match, f"{path}: missing front matter; the file must start with '---' lines"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path}: front matter is not a YAML mapping"
    return meta, match.group(2).strip()


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path}:{number}: empty line"
        rows.append(json.loads(line))
    return rows


@pytest.fixture(scope="module")
def docs() -> dict[str, tuple[str, dict, str]]:
    """id -> (kind, front matter, body) for every corpus document."""
    found = {}
    for kind in ("faq", "guide"):
        for path in sorted((CORPUS / kind).glob("*.md")):
            meta, body = read_doc(path)
            assert set(meta) == {"id", "title", "category"}, f"{path}: front matter keys {sorted(meta)}"
            assert meta["id"] == path.stem, f"{path}: id {meta['id']!r} does not match the file name"
            assert ID_PATTERN[kind].match(meta["id"]), f"{path}: id {meta['id']!r} has the wrong format"
            assert meta["id"] not in found, f"{path}: duplicate id {meta['id']}"
            assert isinstance(meta["title"], str) and meta["title"].strip(), f"{path}: empty title"
            assert meta["category"] in CATEGORIES, f"{path}: unknown category {meta['category']!r}"
            found[meta["id"]] = (kind, meta, body)
    return found


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict]]:
    return {name: read_jsonl(QUESTIONS / f"{name}.jsonl") for name in ("dev", "test")}


def test_corpus_size_and_category_spread(docs):
    kinds = Counter(kind for kind, _, _ in docs.values())
    assert kinds["faq"] >= 50
    assert kinds["guide"] >= 8
    faq_categories = Counter(meta["category"] for kind, meta, _ in docs.values() if kind == "faq")
    assert set(faq_categories) == CATEGORIES
    assert min(faq_categories.values()) >= 4, faq_categories


def test_document_lengths_and_headings(docs):
    for doc_id, (kind, _, body) in docs.items():
        low, high = (150, 600) if kind == "faq" else (600, 2000)
        assert low <= len(body) <= high, f"{doc_id}: body has {len(body)} characters, expected {low}-{high}"
        if kind == "guide":
            assert re.search(r"^## ", body, re.MULTILINE), f"{doc_id}: a guide page needs '##' section headings"


def test_question_records_are_well_formed(splits):
    for name, rows in splits.items():
        for row in rows:
            assert_question_record(row, f"{name}.jsonl {row.get('id')}", QUESTION_FIELDS, r"^q\d{4}$", CATEGORIES, STYLES)


def test_doc_ids_exist_and_key_facts_are_grounded(splits, docs):
    bodies = {doc_id: normalise(meta["title"] + body) for doc_id, (_, meta, body) in docs.items()}
    for name, rows in splits.items():
        for row in rows:
            for doc_id in row["doc_ids"]:
                assert doc_id in docs, f"{name}.jsonl {row['id']}: unknown document {doc_id}"
            for fact in row["key_facts"]:
                assert normalise(fact), f"{name}.jsonl {row['id']}: empty key fact"
                assert any(normalise(fact) in bodies[d] for d in row["doc_ids"]), (
                    f"{name}.jsonl {row['id']}: key fact {fact!r} is in none of {row['doc_ids']}"
                )


def test_multi_doc_questions_really_need_two_documents(splits, docs):
    bodies = {doc_id: normalise(meta["title"] + body) for doc_id, (_, meta, body) in docs.items()}
    for name, rows in splits.items():
        for row in rows:
            if row["style"] == "multi_doc":
                assert_multi_doc_needs_every_document(row, f"{name}.jsonl {row['id']}", bodies, normalise)


def test_question_set_size_mix_and_split(splits):
    dev, test = splits["dev"], splits["test"]
    everything = dev + test
    assert len(everything) >= 300
    ids = [row["id"] for row in everything]
    assert len(ids) == len(set(ids)), "question ids repeat across or within splits"
    texts = [normalise(row["question"]) for row in everything]
    assert len(texts) == len(set(texts)), "a question text repeats across or within splits"
    assert 0.40 <= len(dev) / len(everything) <= 0.50, f"dev share {len(dev) / len(everything):.2f}"
    styles = Counter(row["style"] for row in everything)
    assert styles["unanswerable"] / len(everything) >= 0.15, styles
    assert styles["multi_doc"] / len(everything) >= 0.08, styles
    for name, rows in splits.items():
        assert {row["style"] for row in rows} == STYLES, f"{name}: some style is missing"
        assert {row["category"] for row in rows} == CATEGORIES, f"{name}: some category is missing"
