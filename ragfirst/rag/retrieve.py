"""Hybrid retrieval: BM25 over Kiwi tokens + dense e5 vectors, fused by reciprocal rank.

BM25 catches exact terms (error codes, amounts, product names); the dense model
catches paraphrase and 반말. Reciprocal rank fusion (k=60) needs no score
calibration between the two, which is why it is the default way to combine them.
Every hit carries its scores, ranks and source document id.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ragfirst.rag import store
from ragfirst.rag.embed import embed_queries
from ragfirst.rag.errors import IndexReplacedError
from ragfirst.rag.korean import search_tokens_and_nouns, search_tokens_many

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk; ``score`` is the mode's ranking score (RRF for hybrid)."""

    chunk_id: str
    doc_id: str
    title: str
    heading: str
    text: str
    score: float
    rank: int
    bm25_score: float | None = None
    dense_score: float | None = None  # cosine similarity
    bm25_rank: int | None = None
    dense_rank: int | None = None


@dataclass
class SearchResult:
    """Hits for one question, best first, plus the evidence the decline rule needs."""

    question: str
    mode: str
    hits: list[Hit]
    seconds: float
    query_tokens: list[str] = field(default_factory=list)
    unknown_terms: list[str] = field(default_factory=list)  # question nouns no document contains
    max_idf: float = 1.0  # the index's BM25 unit (see max_idf())
    bm25_top: float = 0.0  # the best BM25 score in the index, whatever ``k`` keeps and whatever the mode

    def doc_ids(self) -> list[str]:
        """Source documents in rank order, each once."""
        return list(dict.fromkeys(h.doc_id for h in self.hits))

    def to_frame(self, digits: int = 3):
        """The hits as a table (scores rounded) for notebooks."""
        import pandas as pd

        rows = [
            {
                "rank": h.rank,
                "doc_id": h.doc_id,
                "title": h.title,
                "score": round(h.score, digits + 1 if self.mode == "hybrid" else digits),
                "bm25": None if h.bm25_score is None else round(h.bm25_score, digits),
                "dense": None if h.dense_score is None else round(h.dense_score, digits),
            }
            for h in self.hits
        ]
        return pd.DataFrame(rows).set_index("rank")


def max_idf(chunks: int) -> float:
    """The highest IDF a term can have among ``chunks`` chunks: bm25s' Lucene IDF of a term in one chunk.

    BM25 scores grow with log(index size), so the decline gate reads them in this unit
    to work the same on a two-file folder and on the shipped corpus.
    """
    return math.log(1 + (chunks - 0.5) / 1.5)


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion: sum of 1/(k + rank) over the rankings an id appears in (rank from 1)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores


class Retriever:
    """Search one chroma collection three ways: ``bm25``, ``dense`` or ``hybrid``."""

    def __init__(self, collection, candidates: int = 30, rrf_k: int = RRF_K, bigrams: bool = True):
        import bm25s

        self.collection = collection
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.bigrams = bigrams
        data = collection.get(include=["metadatas", "documents"])
        order = sorted(range(len(data["ids"])), key=lambda i: data["ids"][i])
        self.ids = [data["ids"][i] for i in order]
        self.meta = [data["metadatas"][i] for i in order]
        if not self.ids:
            raise ValueError(f"인덱스 '{collection.name}'가 비어 있습니다. `ragfirst index`로 문서를 다시 색인해 주세요.")
        texts = [data["documents"][i] for i in order]  # title + heading + body, as embedded
        self.bm25 = bm25s.BM25()
        self.bm25.index(search_tokens_many(texts, bigrams=bigrams), show_progress=False)
        self.vocab = self.bm25.vocab_dict
        self.max_idf = max_idf(len(self.ids))
        self.position = {cid: i for i, cid in enumerate(self.ids)}

    @classmethod
    def open(cls, collection: str = store.DEFAULT_COLLECTION, client=None, **kwargs) -> "Retriever":
        """A retriever over an existing collection (default client from the environment)."""
        client = client or store.open_client()
        return cls(store.get_collection(client, collection), **kwargs)

    def bm25_ranking(self, tokens: list[str]) -> list[tuple[str, float]]:
        """All chunks with a positive BM25 score, best first."""
        known = [t for t in tokens if t in self.vocab]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        order = np.argsort(-scores, kind="stable")
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def dense_ranking(self, question: str, n: int) -> list[tuple[str, float]]:
        """Top ``n`` chunks by cosine similarity, through chroma's vector index."""
        from chromadb.errors import NotFoundError

        vector = embed_queries([question])[0]
        try:
            found = self.collection.query(query_embeddings=[vector], n_results=min(n, len(self.ids)),
                                          include=["distances"])
        except NotFoundError:  # re-indexed since this retriever opened it: the old generation is gone
            name = store.index_name(self.collection.name)
            raise IndexReplacedError(
                f"인덱스 '{name}'가 다시 색인되어 이 Retriever가 읽던 버전이 지워졌습니다. "
                f"Retriever.open('{name}')으로 새 인덱스를 다시 여세요 (bm25 검색은 그대로 됩니다)."
            ) from None
        return [(cid, 1.0 - float(d)) for cid, d in zip(found["ids"][0], found["distances"][0])]

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> SearchResult:
        """The ``k`` best documents for ``question``, each represented by its best chunk.

        Ranking is per document (a question is answered by documents, and a long
        guide page must not fill every slot with its own chunks); fusion is RRF
        over the two document rankings.
        """
        if mode not in MODES:
            raise ValueError(f"mode='{mode}'는 지원하지 않습니다. {', '.join(MODES)} 중 하나를 쓰세요.")
        started = time.perf_counter()
        tokens, question_nouns = search_tokens_and_nouns(question, bigrams=self.bigrams)
        # BM25 runs in every mode: the decline gate reads its best score (bm25_top) whatever ranks the hits
        lexical = self._per_document(self.bm25_ranking(tokens))
        sparse = lexical if mode != "dense" else []
        dense = self._per_document(self.dense_ranking(question, 3 * self.candidates)) if mode != "bm25" else []
        bm25_of = {self._doc(cid): (cid, s, r) for r, (cid, s) in enumerate(sparse, start=1)}
        dense_of = {self._doc(cid): (cid, s, r) for r, (cid, s) in enumerate(dense, start=1)}
        if mode == "bm25":
            ranked = [(self._doc(cid), s) for cid, s in sparse]
        elif mode == "dense":
            ranked = [(self._doc(cid), s) for cid, s in dense]
        else:
            fused = rrf([[self._doc(c) for c, _ in sparse], [self._doc(c) for c, _ in dense]], self.rrf_k)
            ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        hits = []
        for rank, (doc_id, score) in enumerate(ranked[:k], start=1):
            b, d = bm25_of.get(doc_id), dense_of.get(doc_id)
            # the document's best chunk from whichever ranking placed the document higher
            best = b if d is None or (b is not None and b[2] < d[2]) else d
            cid = best[0]
            meta = self.meta[self.position[cid]]
            hits.append(
                Hit(
                    chunk_id=cid,
                    doc_id=meta["doc_id"],
                    title=meta["title"],
                    heading=meta.get("heading", ""),
                    text=meta["body"],
                    score=float(score),
                    rank=rank,
                    bm25_score=b[1] if b else None,
                    dense_score=d[1] if d else None,
                    bm25_rank=b[2] if b else None,
                    dense_rank=d[2] if d else None,
                )
            )
        unknown = [n for n in question_nouns if n not in self.vocab]
        bm25_top = lexical[0][1] if lexical else 0.0
        return SearchResult(question, mode, hits, time.perf_counter() - started, tokens, unknown, self.max_idf, bm25_top)

    def _doc(self, chunk_id: str) -> str:
        return self.meta[self.position[chunk_id]]["doc_id"]

    def _per_document(self, ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Keep each document's best chunk, at most ``candidates`` documents."""
        seen: set[str] = set()
        out = []
        for cid, score in ranking:
            doc = self._doc(cid)
            if doc not in seen:
                seen.add(doc)
                out.append((cid, score))
                if len(out) == self.candidates:
                    break
        return out

