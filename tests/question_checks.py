"""The shape every labelled question must have, shared by the shipped and the realistic sets (data/questions/README.md)."""

from __future__ import annotations

import re


def assert_question_record(row: dict, where: str, fields: set[str], id_pattern: str, categories, styles) -> None:
    assert set(row) == fields, f"{where}: fields {sorted(row)}"
    assert re.match(id_pattern, row["id"]), f"{where}: bad id"
    assert isinstance(row["question"], str) and row["question"].strip(), f"{where}: empty question"
    assert isinstance(row["answerable"], bool), f"{where}: answerable must be true/false"
    assert row["category"] in categories, f"{where}: unknown category {row['category']!r}"
    assert row["style"] in styles, f"{where}: unknown style {row['style']!r}"
    assert isinstance(row["doc_ids"], list) and isinstance(row["key_facts"], list), where
    assert (row["style"] == "unanswerable") == (not row["answerable"]), f"{where}: style/answerable mismatch"
    if row["answerable"]:
        assert row["doc_ids"] and 1 <= len(row["key_facts"]) <= 2, f"{where}: needs doc_ids and 1-2 key_facts"
        assert len(set(row["doc_ids"])) == len(row["doc_ids"]), f"{where}: repeated doc id"
    else:
        assert row["doc_ids"] == [] and row["key_facts"] == [], f"{where}: unanswerable must have empty lists"
    if row["style"] == "multi_doc":
        assert len(row["doc_ids"]) >= 2, f"{where}: multi_doc needs at least two documents"


def assert_multi_doc_needs_every_document(row: dict, where: str, bodies: dict[str, str], normalise) -> None:
    """A multi_doc question: no single document holds every key fact, and each listed one adds one."""
    facts = [normalise(f) for f in row["key_facts"]]
    alone = [d for d, text in bodies.items() if all(f in text for f in facts)]
    assert not alone, f"{where}: {alone} alone contains every key fact"
    for doc_id in row["doc_ids"]:
        assert any(f in bodies[doc_id] for f in facts), f"{where}: {doc_id} adds no key fact"
