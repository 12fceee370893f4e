"""The "나만의 RAG" lab: the data and plumbing around what the learner writes.

The learner writes chunking, the chromadb index, fusion of a BM25 and a dense
ranking, the grounded prompt, the reply with citations and the evaluation
loop (solutions/my_rag/my_rag.ipynb). This module gives only what the lab is not
about, as plain data so that the grader can pass it to the learner's functions:
the course documents and the dev questions as dicts, a BM25 index over Kiwi
search tokens (the lecture's tokens, :mod:`ragfirst.rag.korean`), and the reply
format the hidden tests check (:func:`parse_reply`).

Why the hidden questions live in ``data/answer_keys/``: the grading sandbox never
mounts that folder, so a submission cannot look the gold documents up; the hidden
tests read them in the grader (:func:`hidden_questions`).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ragfirst.rag.answer import DECLINE
from ragfirst.rag.corpus import load_corpus
from ragfirst.rag.evaluate import load_questions, questions_path
from ragfirst.rag.index import default_corpus
from ragfirst.rag.korean import search_tokens_and_nouns, search_tokens_many
from ragfirst.runtime.config import ANSWER_KEYS_DIR

HIDDEN_QUESTIONS = ANSWER_KEYS_DIR / "my_rag_questions.jsonl"
CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9._\-/]*)\]")
SOURCES_PREFIX = "출처: "

__all__ = ["DECLINE", "KeywordIndex", "course_documents", "dev_questions", "hidden_questions", "parse_reply"]


def course_documents() -> list[dict[str, str]]:
    """The course corpus (data/corpus/) as ``{"doc_id", "title", "text"}`` dicts, sorted by id."""
    return [{"doc_id": d.doc_id, "title": d.title, "text": d.text} for d in load_corpus(default_corpus())]


def _as_dicts(questions) -> list[dict[str, Any]]:
    return [{"id": q.qid, "question": q.question, "answerable": q.answerable, "doc_ids": list(q.doc_ids)}
            for q in questions if q.style != "multi_doc"]


def dev_questions() -> list[dict[str, Any]]:
    """The dev split without its two-document questions: any one listed document answers each question."""
    return _as_dicts(load_questions(questions_path("dev")))


def hidden_questions() -> list[dict[str, Any]]:
    """The questions the hidden tests ask (grader side only: the sandbox has no ``answer_keys``)."""
    return _as_dicts(load_questions(HIDDEN_QUESTIONS))


class KeywordIndex:
    """BM25 over the lecture's Kiwi search tokens (morphemes and character bigrams), as in notebook 02.

    ``texts[i]`` is the i-th searchable text; :meth:`ranking` answers with positions into ``texts``.
    """

    def __init__(self, texts: list[str]):
        import bm25s

        if not texts:
            raise ValueError("KeywordIndex에 넣을 텍스트가 없습니다. 청크 목록이 비어 있지 않은지 확인해 주세요.")
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        self._bm25.index(search_tokens_many(list(texts)), show_progress=False)
        self._vocab = self._bm25.vocab_dict

    def ranking(self, question: str, n: int | None = None) -> list[tuple[int, float]]:
        """``(position, score)`` of the texts sharing a word with the question, best first (at most ``n``)."""
        tokens, _ = search_tokens_and_nouns(question)
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return []
        scores = self._bm25.get_scores(known)
        order = np.argsort(-scores, kind="stable")
        found = [(int(i), float(scores[i])) for i in order if scores[i] > 0]
        return found[:n] if n else found

    def unknown_nouns(self, question: str) -> list[str]:
        """The question's nouns that no indexed text contains ("다이슨", "편의점"): a sign the documents cannot answer."""
        _, nouns = search_tokens_and_nouns(question)
        return [noun for noun in nouns if noun not in self._vocab]


def parse_reply(reply: str) -> dict[str, Any]:
    """Check a reply against the lab's format; ``{"declined", "cited", "sources"}`` or ValueError naming the rule.

    Answered: every line but the last ends with at least one citation ``[doc-id]``; the last line is
    ``출처: [id], [id]``, each cited id once, in the order first cited. Declined: the reply starts with
    :data:`DECLINE` and cites nothing.
    """
    if not isinstance(reply, str) or not reply.strip():
        raise ValueError("답은 빈 문자열이 아닌 str이어야 합니다.")
    text = reply.strip()
    if text.startswith(DECLINE):
        if CITATION.search(text):
            raise ValueError(f"거절 답('{DECLINE}…')에는 [문서id] 인용이 없어야 합니다.")
        return {"declined": True, "cited": [], "sources": []}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[-1].startswith(SOURCES_PREFIX):
        raise ValueError(f"마지막 줄은 '{SOURCES_PREFIX}[문서id], [문서id]' 형식이어야 합니다.")
    sources_line = lines[-1][len(SOURCES_PREFIX):]
    sources = CITATION.findall(sources_line)
    if not sources or ", ".join(f"[{s}]" for s in sources) != sources_line.strip():
        raise ValueError(f"출처 줄은 '{SOURCES_PREFIX}[faq-002], [guide-03]'처럼 [문서id]를 쉼표와 공백으로 잇습니다.")
    cited: list[str] = []
    for line in lines[:-1]:
        if not re.search(r"(?:\[[^\[\]]+\]\s*)+[.!?。]?$", line):
            raise ValueError(f"본문의 모든 줄은 근거 문서의 [문서id]로 끝나야 합니다: {line[:60]}")
        cited += [c for c in CITATION.findall(line) if c not in cited]
    if sources != cited:
        raise ValueError(f"출처 줄 {sources}은 본문에 인용한 순서의 문서 id {cited}와 같아야 합니다(중복 없이).")
    return {"declined": False, "cited": cited, "sources": sources}
