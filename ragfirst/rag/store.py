"""Where the vectors live: chromadb on disk by default, a chroma server when asked.

``RAGFIRST_CHROMA_URL`` (e.g. ``http://127.0.0.1:8000``) switches every
caller to ``HttpClient`` so that several processes can share one index;
without it the index is a folder under the cache directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from ragfirst import config
from ragfirst.rag.embed import E5EmbeddingFunction
from ragfirst.rag.errors import IndexNotFoundError

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


def collection_names(client) -> list[str]:
    """Names of the collections on this client."""
    return sorted(c if isinstance(c, str) else c.name for c in client.list_collections())


def get_collection(client, name: str = DEFAULT_COLLECTION):
    """An existing collection, with our embedding function attached again (chroma does not store it)."""
    if name not in collection_names(client):
        raise IndexNotFoundError(
            f"인덱스 '{name}'가 없습니다. 먼저 `ragfirst index`로 문서를 색인해 주세요."
        )
    return client.get_collection(name, embedding_function=E5EmbeddingFunction())


def create_collection(client, name: str, metadata: dict | None = None):
    """A new, empty collection in cosine space (the space cannot change later)."""
    return client.create_collection(
        name,
        embedding_function=E5EmbeddingFunction(),
        configuration={"hnsw": {"space": SPACE}},
        metadata=metadata or None,
    )


def delete_collection(client, name: str) -> None:
    """Drop a collection if it exists."""
    if name in collection_names(client):
        client.delete_collection(name)
