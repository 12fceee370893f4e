"""How sure retrieval is that the documents answer the question; below a threshold, decline.

Two signals, cheap and explainable:
- ``bm25_top``: log(1 + the index's best BM25 score / its highest IDF), how strongly
  a document shares the question's rarer words. Raw BM25 grows with log(index
  size): a two-file folder scored a third of the shipped corpus's values and every
  question was declined. In units of ``SearchResult.max_idf`` the same model
  works on indexes of 2 and 38 documents as on the shipped 76 (tests/test_rag_own_corpus.py;
  a 10-page manual of one product still declines, its topic words carry little IDF);
- ``unknown_nouns``: how many of the question's nouns appear in no document at
  all ("다이슨", "편의점"): the clearest sign the company never wrote about it.

A logistic regression combines them into P(answerable). Its weights and the
decline threshold are fitted on the **dev** splits only, the short questions and
the chat-style messages together (:func:`fit`); the threshold is the highest that
still answers ``min_answer_rate`` of the dev questions that have an answer.
The signals were chosen by leave-one-out on dev
among four candidates (also the best dense similarity and "BM25 and dense agree
on the top document"): these two declined 70 % of dev's unanswerable questions
at a 90 % answer rate, every larger set 57-67 %. The test splits are never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ragfirst.rag.retrieve import SearchResult
from ragfirst.runtime.logistic import fit_logistic

FEATURES = ("bm25_top", "unknown_nouns")


@dataclass(frozen=True)
class ConfidenceModel:
    """Standardisation, logistic weights and the decline threshold (all fitted on dev)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def answers(self, probability: float) -> bool:
        """True when a question this sure of an answer goes on to the model (the one place the threshold is applied)."""
        return probability >= self.threshold

    def probability(self, values: np.ndarray) -> float:
        z = (np.asarray(values, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(1.0 / (1.0 + math.exp(-(float(z @ np.asarray(self.weights)) + self.bias))))


def features(result: SearchResult) -> np.ndarray:
    """The signals of one search result (see the module docstring), the same in every retrieval mode."""
    return np.array([math.log1p(result.bm25_top / result.max_idf), float(len(result.unknown_terms))])


def fit(rows: np.ndarray, answerable: list[bool], min_answer_rate: float = 0.9, l2: float = 1.0) -> ConfidenceModel:
    """Fit weights (the course's logistic regression, run to convergence) and pick the threshold on these rows.

    ``l2`` penalises the summed loss; the helper penalises the mean loss of a two-class softmax,
    whose weights are half the binary ones each way, hence ``2 * l2 / n``.
    """
    X = np.asarray(rows, dtype=float)
    y = np.asarray(answerable, dtype=float)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    fitted = fit_logistic((X - mean) / scale, y.astype(int), 2, l2=2 * l2 / len(X), steps=2000, learning_rate=1.0)
    w = fitted.weights[:, 1] - fitted.weights[:, 0]
    bias = fitted.bias[1] - fitted.bias[0] - float(fitted.mean @ w)
    model = ConfidenceModel(tuple(mean), tuple(scale), tuple(float(v) for v in w), float(bias), 0.0)
    probs = np.array([model.probability(x) for x in X])
    answerable_probs = np.sort(probs[y == 1])
    # highest threshold that still answers min_answer_rate of the answerable questions
    index = int(math.floor((1.0 - min_answer_rate) * len(answerable_probs) + 1e-9))
    threshold = float(answerable_probs[index]) if len(answerable_probs) else 0.5
    return ConfidenceModel(model.mean, model.scale, model.weights, model.bias, threshold)


# Fitted on data/questions/dev.jsonl + realistic_dev.jsonl with the shipped corpus:
#   from ragfirst.rag import runner
#   runner.fit_decline(runner.run_retrieval(retriever, ragfirst.rag.evaluate.dev_questions(), "hybrid"))
# tests/test_rag_quality.py re-fits it and fails if these numbers drift.
DEFAULT_MODEL = ConfidenceModel(
    mean=(1.593469, 0.672241),
    scale=(0.380261, 0.953570),
    weights=(0.881019, -0.642491),
    bias=1.762867,
    threshold=0.670397,
)


def confidence(result: SearchResult, model: ConfidenceModel | None = None) -> float:
    """P(the documents answer the question) for one search result, in any retrieval mode."""
    return (model or DEFAULT_MODEL).probability(features(result))
