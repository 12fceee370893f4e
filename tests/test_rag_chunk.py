"""Chunking keeps sentences whole, carries titles, and gives content-hash ids."""

from __future__ import annotations

from ragfirst.rag.chunk import chunk_corpus
from ragfirst.rag.corpus import Document, load_corpus
from ragfirst.rag.korean import split_sentences
from rag_fixtures import write_corpus


def doc(text: str, doc_id: str = "d1", title: str = "제목") -> Document:
    return Document(doc_id=doc_id, title=title, category="", text=text, path=f"{doc_id}.md")


def test_sentences_are_never_cut_and_size_is_respected():
    sentences = [f"{i}번째 안내 문장은 고객이 읽기 쉽도록 충분히 길게 적었습니다." for i in range(1, 13)]
    chunks = chunk_corpus([doc(" ".join(sentences))], max_chars=120, overlap=0)
    assert len(chunks) > 1
    body_lines = [line for c in chunks for line in c.text.splitlines()]
    assert body_lines == sentences  # every sentence whole, in order, exactly once
    assert all(len(c.text) <= 120 for c in chunks)


def test_overlap_repeats_the_last_sentence():
    sentences = [f"{i}번째 안내 문장은 고객이 읽기 쉽도록 충분히 길게 적었습니다." for i in range(1, 7)]
    chunks = chunk_corpus([doc(" ".join(sentences))], max_chars=120, overlap=1)
    for before, after in zip(chunks, chunks[1:]):
        assert after.text.splitlines()[0] == before.text.splitlines()[-1]


def test_title_heading_and_table_rows(tmp_path):
    chunks = [c for c in chunk_corpus(load_corpus(write_corpus(tmp_path))) if c.doc_id == "t-filter"]
    steps = [c for c in chunks if c.heading == "교체 순서"]
    assert steps and steps[0].search_text.startswith("필터 교체 방법 > 교체 순서\n")
    assert "단계: 1, 할 일: 전원을 끄고 플러그를 뽑습니다" in steps[0].text
    assert "|" not in "".join(c.text for c in chunks)


def test_ids_are_content_hashes(tmp_path):
    docs = load_corpus(write_corpus(tmp_path))
    first = {c.chunk_id for c in chunk_corpus(docs)}
    assert first == {c.chunk_id for c in chunk_corpus(docs)}
    edited = [d if d.doc_id != "t-ship" else doc(d.text + " 도서산간은 5,000원이 추가됩니다.", "t-ship", d.title) for d in docs]
    second = {c.chunk_id for c in chunk_corpus(edited)}
    changed = first ^ second
    assert changed and all(cid.startswith("t-ship#") for cid in changed)


def test_sentence_splitter_keeps_line_breaks_as_boundaries():
    assert split_sentences(["첫 문장입니다. 둘째 문장입니다.", "", "셋째 줄"]) == [
        ["첫 문장입니다.", "둘째 문장입니다."],
        [],
        ["셋째 줄"],
    ]
