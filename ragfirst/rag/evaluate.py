"""Score retrieval and answers against a labelled question file.

Relevance is judged per document, so chunk hits are collapsed to their documents
first. As data/questions/README.md defines the labels, any one listed document
answers an ordinary question, while a ``multi_doc`` question needs every listed
document: :attr:`Question.needed` says how many must be found. An answer is correct when
it contains every key fact, compared without spaces and commas ("3,000원" = "3000원").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragfirst.runtime import config
from ragfirst.runtime.jsonl import read_jsonl

QUESTION_FIELDS = ("id", "question", "answerable", "doc_ids", "key_facts")


@dataclass(frozen=True)
class Question:
    """One labelled customer inquiry."""

    qid: str
    question: str
    answerable: bool
    doc_ids: tuple[str, ...]
    key_facts: tuple[str, ...]
    category: str = ""
    style: str = ""

    @property
    def needed(self) -> int:
        """How many of ``doc_ids`` a search must find: all for ``multi_doc``, otherwise one."""
        return len(self.doc_ids) if self.style == "multi_doc" else min(1, len(self.doc_ids))


def questions_path(split: str) -> Path:
    """The shipped question file: ``dev``, ``test``, ``realistic_dev`` or ``realistic_test``."""
    return config.DATA_DIR / "questions" / f"{split}.jsonl"


def dev_questions() -> list[Question]:
    """Every question the pipeline is tuned on (dev + realistic_dev); the test splits stay for the report."""
    return load_questions(questions_path("dev")) + load_questions(questions_path("realistic_dev"))


def load_questions(path: Path | str) -> list[Question]:
    """Read a JSONL question file, naming the line and field at fault if one is malformed."""
    out = []
    for where, row in read_jsonl(path, ("question",), QUESTION_FIELDS, example="data/questions/dev.jsonl"):
        if row["answerable"] and not row["doc_ids"]:
            raise ValueError(f"{where}: answerable인 질문에는 doc_ids가 하나 이상 있어야 합니다.")
        out.append(
            Question(
                str(row["id"]), row["question"], bool(row["answerable"]), tuple(row["doc_ids"]),
                tuple(row["key_facts"]), str(row.get("category", "")), str(row.get("style", "")),
            )
        )
    return out


def recall_at(ranked: list[str], gold: set[str], k: int, needed: int | None = None) -> float:
    """Share of the ``needed`` gold documents (default: all) found in the first ``k``."""
    needed = needed or len(gold)
    return min(len(gold & set(ranked[:k])), needed) / needed


def reciprocal_rank(ranked: list[str], gold: set[str]) -> float:
    """1 / rank of the first gold document (0 if none was retrieved)."""
    for rank, doc in enumerate(ranked, start=1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: list[str], gold: set[str], k: int = 10, needed: int | None = None) -> float:
    """Binary-relevance nDCG over the first ``needed`` gold documents found (default: all).

    Gains are discounted by log2(rank + 1) and divided by the ideal ordering's.
    """
    needed = needed or len(gold)
    ranks = [rank for rank, doc in enumerate(ranked[:k], start=1) if doc in gold][:needed]
    dcg = sum(1.0 / math.log2(rank + 1) for rank in ranks)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(needed, k) + 1))
    return dcg / ideal


def retrieval_metrics(rankings: list[list[str]], questions: list[Question]) -> dict[str, float]:
    """Mean recall@1, recall@5, MRR and nDCG@10 over answerable questions."""
    if not rankings:
        return {"recall_at_1": float("nan"), "recall_at_5": float("nan"), "mrr": float("nan"), "ndcg_at_10": float("nan")}
    pairs = [(r, set(q.doc_ids), q.needed) for r, q in zip(rankings, questions)]
    return {
        "recall_at_1": float(np.mean([recall_at(r, g, 1, n) for r, g, n in pairs])),
        "recall_at_5": float(np.mean([recall_at(r, g, 5, n) for r, g, n in pairs])),
        "mrr": float(np.mean([reciprocal_rank(r, g) for r, g, _ in pairs])),
        "ndcg_at_10": float(np.mean([ndcg_at(r, g, 10, n) for r, g, n in pairs])),
    }


def normalise(text: str) -> str:
    """Drop whitespace and commas so that formatting never decides correctness."""
    return re.sub(r"[\s,]", "", text)


def has_key_facts(answer: str, key_facts: tuple[str, ...] | list[str]) -> bool:
    """True when every key fact appears in the answer."""
    text = normalise(answer)
    return all(normalise(fact) in text for fact in key_facts)


def percentiles(values: list[float], points: tuple[int, ...] = (50, 90, 99)) -> dict[str, float]:
    """``{"p50": …, "p90": …, "p99": …}`` of the values."""
    if not values:
        return {f"p{p}": float("nan") for p in points}
    return {f"p{p}": float(np.percentile(values, p)) for p in points}
