"""The course's one logistic regression: multinomial, L2-regularised, fitted by full-batch gradient descent.

Used twice: the intent router (:mod:`ragfirst.hybrid.intent`, five intents over
embeddings) and the RAG decline gate (:mod:`ragfirst.rag.confidence`, two classes
over two signals). NumPy only and deterministic (it starts at zero), so a fitted
model is the same on every machine up to floating-point rounding. The biases are
not shrunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogisticFit:
    """``scores = (x - mean) @ weights + bias``; softmax over the scores gives each class's probability."""

    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    mean: np.ndarray  # (features,)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so large scores cannot overflow."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def fit_logistic(features: np.ndarray, targets: np.ndarray, n_classes: int, *, l2: float = 1e-3, steps: int = 500,
                 learning_rate: float = 5.0) -> LogisticFit:
    """Minimise mean cross-entropy + ``l2``/2 * |weights|² over ``steps`` gradient steps from zero.

    ``targets`` holds class indices 0..n_classes-1. With few steps the fit also stops early
    (the router's setting); with enough steps it converges to the regularised optimum.
    """
    features = np.asarray(features, dtype=np.float64)
    targets = np.asarray(targets)
    if features.ndim != 2 or len(features) != len(targets) or not len(features):
        raise ValueError(f"features {features.shape} and targets {targets.shape}: one row per target, at least one row")
    if targets.min() < 0 or targets.max() >= n_classes:
        raise ValueError(f"targets must be class indices 0..{n_classes - 1}")
    mean = features.mean(axis=0)
    centred = features - mean
    weights = np.zeros((features.shape[1], n_classes))
    bias = np.zeros(n_classes)
    onehot = np.eye(n_classes)[targets]
    for _ in range(steps):
        gradient = (softmax(centred @ weights + bias) - onehot) / len(features)
        weights -= learning_rate * (centred.T @ gradient + l2 * weights)
        bias -= learning_rate * gradient.sum(axis=0)
    return LogisticFit(weights, bias, mean)
