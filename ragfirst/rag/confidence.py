"""How sure retrieval is that the documents answer the question; below a threshold, decline.

Two signals that mean the same on any corpus, a 2-file folder or the course's 76 documents,
both read on the message's question sentences (:mod:`ragfirst.rag.message`), not its story:
- ``sentence_similarity``: e5 cosine similarity of each question sentence and the
  closest sentence of the top documents, the lowest over the questions: every
  question needs a sentence that says what is asked;
- ``unknown_share``: the share of the question's nouns that appear in no document
  ("다이슨", "편의점"): the clearest sign the company never wrote about it. A share,
  not a count, so a long message is not declined for being long.

Chosen on the dev splits among eight candidates (these two read on the whole
message, the best chunk's dense similarity, the top chunk's coverage of the
question's words): declined 63 % (dev) and 50 % (realistic_dev) of the
unanswerable messages at a 90 % answer rate; the whole-message versions 67 % and
39 %.

The former signals (log BM25 of the best document, count of unknown nouns) were
scaled to the shipped corpus: BM25 grows with the corpus's vocabulary, so a
two-file folder declined every question (issue 14).

A logistic regression combines them into P(answerable). Its weights and the
decline threshold are fitted on the **dev** splits only (shipped dev and
realistic_dev together, :func:`fit`); the threshold is the highest that still
answers ``min_answer_rate`` of the dev questions that have an answer. The test
splits are never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ragfirst.rag.retrieve import SearchResult

FEATURES = ("sentence_similarity", "unknown_share")


@dataclass(frozen=True)
class ConfidenceModel:
    """Standardisation, logistic weights and the decline threshold (all fitted on dev)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, values: np.ndarray) -> float:
        z = (np.asarray(values, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(1.0 / (1.0 + math.exp(-(float(z @ np.asarray(self.weights)) + self.bias))))


def features(result: SearchResult) -> np.ndarray:
    """The signals of one search result (see the module docstring)."""
    from ragfirst.rag.evidence import query_vector, sentence_vectors
    from ragfirst.rag.korean import search_tokens_and_nouns
    from ragfirst.rag.message import read_message

    message = read_message(result.question)
    sentences = [line for h in result.hits[:3] for line in h.text.splitlines() if len(line.strip()) >= 6]
    vectors = sentence_vectors(sentences)
    similarity = min(float((vectors @ query_vector(q)).max()) for q in (message.questions or [message.text])) if sentences else 0.0
    nouns = set(search_tokens_and_nouns(message.focus, bigrams=False)[1])
    share = len(set(result.unknown_terms) & nouns) / len(nouns) if nouns else 0.0
    return np.array([similarity, share])


def fit(rows: np.ndarray, answerable: list[bool], min_answer_rate: float = 0.9, l2: float = 1.0) -> ConfidenceModel:
    """Fit weights (Newton's method, L2-regularised) and pick the threshold on these rows."""
    X = np.asarray(rows, dtype=float)
    y = np.asarray(answerable, dtype=float)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    penalty = np.eye(Z.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(Z @ w)))
        gradient = Z.T @ (p - y) + penalty @ w
        hessian = (Z.T * (p * (1 - p))) @ Z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    model = ConfidenceModel(tuple(mean), tuple(scale), tuple(w[:-1]), float(w[-1]), 0.0)
    probs = np.array([model.probability(x) for x in X])
    answerable_probs = np.sort(probs[y == 1])
    # highest threshold that still answers min_answer_rate of the answerable questions
    index = int(math.floor((1.0 - min_answer_rate) * len(answerable_probs) + 1e-9))
    threshold = float(answerable_probs[index]) if len(answerable_probs) else 0.5
    return ConfidenceModel(model.mean, model.scale, model.weights, model.bias, threshold)


# Fitted on data/questions/dev.jsonl + realistic_dev.jsonl with the shipped corpus:
#   ragfirst.rag.confidence.calibrate(retriever, dev_questions())
# tests/test_rag_quality.py re-fits it and fails if these numbers drift.
DEFAULT_MODEL = ConfidenceModel(
    mean=(0.882522, 0.134760),
    scale=(0.023732, 0.228479),
    weights=(0.253535, -0.808543),
    bias=1.623711,
    threshold=0.705859,
)


def confidence(result: SearchResult, model: ConfidenceModel | None = None) -> float:
    """P(the documents answer the question) for one hybrid search result (of :func:`ragfirst.rag.focus.search_message`)."""
    return (model or DEFAULT_MODEL).probability(features(result))


def calibrate(retriever, questions, min_answer_rate: float = 0.9) -> ConfidenceModel:
    """Search every question (hybrid, as :func:`ragfirst.rag.answer.answer` does) and fit the model
    on them; use the dev splits only."""
    from ragfirst.rag.focus import search_message

    rows = [features(search_message(retriever, q.question, k=5, mode="hybrid")) for q in questions]
    return fit(np.array(rows), [q.answerable for q in questions], min_answer_rate)


def dev_questions():
    """The questions the gate is fitted on: the shipped dev split and the realistic dev messages."""
    from ragfirst.rag.evaluate import load_questions, questions_path

    return load_questions(questions_path("dev")) + load_questions(questions_path("realistic_dev"))
