"""Score retrieval and answers against a labelled question file.

Relevance is judged per document (a question lists the documents that answer it),
so chunk hits are collapsed to their documents first. An answer is correct when
it contains every key fact, compared without spaces and commas ("3,000원" = "3000원").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragfirst import config

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


def questions_path(split: str) -> Path:
    """The shipped question file for ``dev`` or ``test``."""
    return config.DATA_DIR / "questions" / f"{split}.jsonl"


def load_questions(path: Path | str) -> list[Question]:
    """Read a JSONL question file, naming the line and field at fault if one is malformed."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: 질문 파일이 없습니다. 경로를 확인해 주세요.")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: JSON으로 읽을 수 없습니다({error.msg}).") from None
        missing = [f for f in QUESTION_FIELDS if f not in row]
        if missing:
            raise ValueError(f"{path}:{number}: 필드 {', '.join(missing)}가 없습니다. 형식은 data/questions/dev.jsonl을 참고해 주세요.")
        if row["answerable"] and not row["doc_ids"]:
            raise ValueError(f"{path}:{number}: answerable인 질문에는 doc_ids가 하나 이상 있어야 합니다.")
        out.append(
            Question(
                str(row["id"]), str(row["question"]), bool(row["answerable"]), tuple(row["doc_ids"]),
                tuple(row["key_facts"]), str(row.get("category", "")), str(row.get("style", "")),
            )
        )
    if not out:
        raise ValueError(f"{path}: 질문이 하나도 없습니다.")
    return out


def recall_at(ranked: list[str], gold: set[str], k: int) -> float:
    """Share of the gold documents found in the first ``k``."""
    return len(gold & set(ranked[:k])) / len(gold)


def reciprocal_rank(ranked: list[str], gold: set[str]) -> float:
    """1 / rank of the first gold document (0 if none was retrieved)."""
    for rank, doc in enumerate(ranked, start=1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: list[str], gold: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG: gains discounted by log2(rank + 1), divided by the ideal ordering's."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], start=1) if doc in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def retrieval_metrics(rankings: list[list[str]], golds: list[set[str]]) -> dict[str, float]:
    """Mean recall@1, recall@5, MRR and nDCG@10 over answerable questions."""
    if not rankings:
        return {"recall_at_1": float("nan"), "recall_at_5": float("nan"), "mrr": float("nan"), "ndcg_at_10": float("nan")}
    return {
        "recall_at_1": float(np.mean([recall_at(r, g, 1) for r, g in zip(rankings, golds)])),
        "recall_at_5": float(np.mean([recall_at(r, g, 5) for r, g in zip(rankings, golds)])),
        "mrr": float(np.mean([reciprocal_rank(r, g) for r, g in zip(rankings, golds)])),
        "ndcg_at_10": float(np.mean([ndcg_at(r, g, 10) for r, g in zip(rankings, golds)])),
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
