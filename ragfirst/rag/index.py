"""Idempotent indexing: the collection always mirrors the folder, never half of it.

Chunk ids are content hashes, so re-indexing an unchanged folder writes nothing,
an edited document gets new chunks and loses its old ones, and a deleted document
disappears. A changed index is built into a new generation (reusing the vectors
of unchanged chunks), the index's pointer is switched to it when it is complete,
and only then is the old generation deleted (:mod:`store`): a crash or an error at
any point leaves a usable index, the previous one or the new one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ragfirst.rag import store
from ragfirst.rag.chunk import Chunk, chunk_corpus
from ragfirst.rag.corpus import MAX_FILES, MAX_TOTAL_BYTES, load_corpus
from ragfirst.rag.embed import embed_passages
from ragfirst.runtime import config

ADD_BATCH = 64


@dataclass(frozen=True)
class IndexReport:
    """What an indexing run did."""

    collection: str
    documents: int
    chunks: int
    added: int
    removed: int
    unchanged: int
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def describe(self) -> str:
        """One Korean line for the CLI and notebooks."""
        if not self.changed:
            return f"'{self.collection}': 변경 없음 (문서 {self.documents}개, 청크 {self.chunks}개)"
        return (
            f"'{self.collection}': 문서 {self.documents}개, 청크 {self.chunks}개 "
            f"(추가 {self.added}, 삭제 {self.removed}, 유지 {self.unchanged})"
        )


def default_corpus() -> Path:
    """The course's knowledge base."""
    return config.DATA_DIR / "corpus"


def chunk_metadata(chunk: Chunk, doc_path: str, category: str) -> dict:
    """What chroma stores beside each vector: enough to cite and quote without the files."""
    return {
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "heading": chunk.heading,
        "body": chunk.text,
        "position": chunk.position,
        "path": doc_path,
        "category": category,
    }


def build_index(
    folder: Path | str | None = None,
    collection: str = store.DEFAULT_COLLECTION,
    client=None,
    progress: bool = False,
    *,
    follow_symlinks: bool = False,
    max_files: int = MAX_FILES,
    max_bytes: int = MAX_TOTAL_BYTES,
) -> IndexReport:
    """Make ``collection`` mirror the documents in ``folder`` (default: data/corpus); limits as in :func:`load_corpus`."""
    started = time.perf_counter()
    folder = Path(folder) if folder else default_corpus()
    # validates every file before anything is written
    docs = load_corpus(folder, follow_symlinks=follow_symlinks, max_files=max_files, max_bytes=max_bytes)
    chunks = chunk_corpus(docs)
    by_doc = {d.doc_id: d for d in docs}
    client = client or store.open_client()
    wanted = {c.chunk_id: c for c in chunks}

    existing: dict = {"ids": [], "embeddings": []}
    if store.resolve(client, collection) is not None:  # vectors are reused; text and metadata come from the files
        existing = store.get_collection(client, collection).get(include=["embeddings"])
    have = set(existing["ids"])
    kept = [cid for cid in existing["ids"] if cid in wanted]
    new = [c for c in chunks if c.chunk_id not in have]
    removed = len(have - set(wanted))
    if not new and not removed and have:
        return IndexReport(collection, len(docs), len(chunks), 0, 0, len(kept), time.perf_counter() - started)

    vectors = dict(zip(existing["ids"], existing["embeddings"] if existing["embeddings"] is not None else []))
    fresh = _embed([c.search_text for c in new], progress)
    for chunk, vector in zip(new, fresh):
        vectors[chunk.chunk_id] = vector

    previous = store.resolve(client, collection)
    target = store.new_generation(client, collection, {"source": str(folder.resolve()), "documents": len(docs)})
    try:
        for start in range(0, len(chunks), ADD_BATCH):
            batch = chunks[start : start + ADD_BATCH]
            target.add(
                ids=[c.chunk_id for c in batch],
                embeddings=[vectors[c.chunk_id] for c in batch],
                documents=[c.search_text for c in batch],
                metadatas=[chunk_metadata(c, by_doc[c.doc_id].path, by_doc[c.doc_id].category) for c in batch],
            )
        if target.count() != len(chunks):
            raise RuntimeError(f"인덱스 '{collection}' 작성 중 청크 수가 맞지 않습니다({target.count()}/{len(chunks)}).")
    except BaseException:
        client.delete_collection(target.name)
        raise
    store.point_to(client, collection, target.name)  # the switch: readers see the old or the new index, never none
    store.drop_unused(client, collection, previous)
    return IndexReport(collection, len(docs), len(chunks), len(new), removed, len(kept), time.perf_counter() - started)


def _embed(texts: list[str], progress: bool):
    if not progress or len(texts) <= 32:
        return list(embed_passages(texts))
    from tqdm.auto import tqdm

    out = []
    with tqdm(total=len(texts), desc="임베딩", unit="청크") as bar:
        for start in range(0, len(texts), 32):
            out.extend(embed_passages(texts[start : start + 32]))
            bar.update(min(32, len(texts) - start))
    return out
