"""The one logistic regression (ragfirst.runtime.logistic) against an independent Newton solver, and its input checks."""

import numpy as np
import pytest

from ragfirst.rag import confidence
from ragfirst.runtime.logistic import fit_logistic, softmax


def newton_binary(z: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Binary logistic regression, summed loss + l2/2 |w|², bias unpenalised: the textbook Newton iteration."""
    design = np.hstack([z, np.ones((len(z), 1))])
    w = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(design @ w)))
        w -= np.linalg.solve((design.T * (p * (1 - p))) @ design + penalty, design.T @ (p - y) + penalty @ w)
    return w


def noisy_rows(n: int = 160, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(2.8, 0.5, n), rng.poisson(0.4, n)]).astype(float)
    y = x[:, 0] - 0.8 * x[:, 1] + rng.normal(0, 0.4, n) > 2.4
    return x, y


def test_the_decline_gate_fit_reaches_the_regularised_optimum():
    x, y = noisy_rows()
    model = confidence.fit(x, list(y))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    expected = newton_binary(z, y.astype(float), l2=1.0)
    assert np.allclose(model.weights, expected[:-1], atol=1e-8)
    assert model.bias == pytest.approx(expected[-1], abs=1e-8)


def test_separable_classes_are_learned_and_probabilities_sum_to_one():
    rng = np.random.default_rng(1)
    centres = np.eye(3) * 4
    targets = np.repeat(np.arange(3), 20)
    features = centres[targets] + rng.normal(0, 0.3, (60, 3))
    fitted = fit_logistic(features, targets, 3, l2=1e-3, steps=300, learning_rate=0.5)
    probabilities = softmax((features - fitted.mean) @ fitted.weights + fitted.bias)
    assert (probabilities.argmax(axis=1) == targets).all()
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_softmax_does_not_overflow():
    assert np.allclose(softmax(np.array([[1000.0, 0.0]])), [[1.0, 0.0]])


@pytest.mark.parametrize("features, targets, message", [
    (np.zeros((3, 2)), np.array([0, 1]), "one row per target"),
    (np.zeros((0, 2)), np.array([], dtype=int), "at least one row"),
    (np.zeros((2, 2)), np.array([0, 2]), "class indices 0..1"),
])
def test_bad_input_is_refused_with_the_reason(features, targets, message):
    with pytest.raises(ValueError, match=message):
        fit_logistic(features, targets, 2)
