"""Where the vectors live: chromadb on disk by default, a chroma server when asked.

``RAGFIRST_CHROMA_URL`` (e.g. ``http://127.0.0.1:8000``) switches every
caller to ``HttpClient`` so that several processes can share one index;
without it the index is a folder under the cache directory.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from ragfirst.rag.embed import E5EmbeddingFunction
from ragfirst.rag.errors import IndexNotFoundError
from ragfirst.runtime import config

DEFAULT_COLLECTION = "ragfirst-docs"
SPACE = "cosine"


def default_path() -> Path:
    """The on-disk index folder: ``<cache>/chroma``."""
    return config.cache_dir() / "chroma"


def open_client(path: Path | str | None = None, url: str | None = None):
    """A chromadb client: HttpClient for ``url``/``RAGFIRST_CHROMA_URL``, else PersistentClient(path)."""
    config.apply_offline_defaults()
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    url = url or os.environ.get("RAGFIRST_CHROMA_URL") or None
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise ValueError(f"RAGFIRST_CHROMA_URL='{url}'를 읽을 수 없습니다. 예: http://127.0.0.1:8000")
        return chromadb.HttpClient(
            host=parsed.hostname,
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=settings,
        )
    folder = Path(path) if path else default_path()
    folder.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(folder), settings=settings)


def describe(path: Path | str | None = None) -> str:
    """Which store the environment selects, in one Korean line (no client is opened)."""
    url = os.environ.get("RAGFIRST_CHROMA_URL")
    if url:
        return f"chromadb 서버 {url} (HttpClient, RAGFIRST_CHROMA_URL)"
    folder = Path(path) if path else default_path()
    try:
        shown = folder.resolve().relative_to(config.REPO_ROOT).as_posix()
    except ValueError:
        shown = str(folder)
    return f"chromadb 로컬 폴더 {shown} (PersistentClient)"


# An index is reached through a pointer: the collection "<name>.alias" holds, in its metadata, the name of the
# generation "<name>.g<id>" that has the vectors. Re-indexing builds a new generation, moves the pointer (one
# metadata update) and only then deletes the old one, so a crash at any point leaves a usable index.
ALIAS_SUFFIX = ".alias"
GENERATION_MARK = ".g"
LEGACY_STAGING = "-staging"  # what an interrupted run left before pointers existed
STALE_SECONDS = 3600.0  # a generation nobody points to, older than this, is a crashed run's leftover


def _physical_names(client) -> list[str]:
    return sorted(c if isinstance(c, str) else c.name for c in client.list_collections())


def index_name(physical: str) -> str:
    """The index a collection belongs to: "<name>" for "<name>.alias", "<name>.g<id>" and "<name>"."""
    if physical.endswith(ALIAS_SUFFIX):
        return physical[: -len(ALIAS_SUFFIX)]
    base, mark, rest = physical.rpartition(GENERATION_MARK)
    if base and mark and len(rest) == 12 and all(ch in "0123456789abcdef" for ch in rest):
        return base
    return base if physical.endswith(LEGACY_STAGING) and (base := physical[: -len(LEGACY_STAGING)]) else physical


def collection_names(client) -> list[str]:
    """Names of the indexes on this client, as callers open them (pointers and generations hidden)."""
    return sorted({index_name(name) for name in _physical_names(client)})


def resolve(client, name: str) -> str | None:
    """The collection that holds ``name``'s vectors: the pointer's target, or ``name`` itself (an index
    built before pointers existed); None when there is no such index."""
    names = _physical_names(client)
    if name + ALIAS_SUFFIX in names:
        target = (client.get_collection(name + ALIAS_SUFFIX, embedding_function=E5EmbeddingFunction()).metadata
                  or {}).get("target")
        if target in names:
            return target
    return name if name in names else None


def get_collection(client, name: str = DEFAULT_COLLECTION):
    """An existing index, with our embedding function attached again (chroma does not store it)."""
    physical = resolve(client, name)
    if physical is None:
        raise IndexNotFoundError(
            f"인덱스 '{name}'가 없습니다. 먼저 `ragfirst index`로 문서를 색인해 주세요."
        )
    return client.get_collection(physical, embedding_function=E5EmbeddingFunction())


def create_collection(client, name: str, metadata: dict | None = None):
    """A new, empty collection in cosine space (the space cannot change later)."""
    return client.create_collection(
        name,
        embedding_function=E5EmbeddingFunction(),
        configuration={"hnsw": {"space": SPACE}},
        metadata=metadata or None,
    )


def new_generation(client, name: str, metadata: dict | None = None):
    """An empty collection for the next version of index ``name``; not visible until :func:`point_to`."""
    stamped = {**(metadata or {}), "created": time.time()}
    return create_collection(client, f"{name}{GENERATION_MARK}{uuid.uuid4().hex[:12]}", stamped)


def point_to(client, name: str, physical: str) -> None:
    """Make index ``name`` read from collection ``physical``: one metadata write, atomic for readers."""
    alias = name + ALIAS_SUFFIX
    if alias in _physical_names(client):
        client.get_collection(alias, embedding_function=E5EmbeddingFunction()).modify(metadata={"target": physical})
    else:
        client.create_collection(alias, embedding_function=E5EmbeddingFunction(), metadata={"target": physical})


def drop_unused(client, name: str, previous: str | None) -> list[str]:
    """Delete what index ``name`` no longer reads: the ``previous`` collection, and generations a crashed
    run left behind over an hour ago (a younger one may be another run's build in progress)."""
    current = resolve(client, name)
    unused = []
    for physical in _physical_names(client):
        if physical == current or physical.endswith(ALIAS_SUFFIX) or index_name(physical) != name:
            continue
        created = (client.get_collection(physical, embedding_function=E5EmbeddingFunction()).metadata or {}).get("created")
        if physical == previous or physical.endswith(LEGACY_STAGING) or time.time() - float(created or 0) > STALE_SECONDS:
            client.delete_collection(physical)
            unused.append(physical)
    return unused


def delete_collection(client, name: str) -> None:
    """Drop index ``name`` (its pointer and every generation) if it exists."""
    for physical in _physical_names(client):
        if index_name(physical) == name:
            client.delete_collection(physical)
