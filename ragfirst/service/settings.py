"""What one service process needs to know, read from the environment.

`ragfirst serve` writes its options into the environment before uvicorn starts,
so every worker process (uvicorn re-imports the app in each) sees the same values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ragfirst.runtime import config

DEFAULT_COLLECTION = "ragfirst-service"
ENV_DIR = "RAGFIRST_SERVICE_DIR"
ENV_CORPUS = "RAGFIRST_SERVICE_CORPUS"
ENV_COLLECTION = "RAGFIRST_SERVICE_COLLECTION"
ENV_SLOTS = "RAGFIRST_SERVICE_SLOTS"
ENV_QUEUE = "RAGFIRST_SERVICE_QUEUE"
ENV_WARM = "RAGFIRST_SERVICE_WARM_LLM"


@dataclass(frozen=True)
class Settings:
    """One service's files and limits."""

    directory: Path  # the SQLite file and the document folder
    corpus: Path  # the documents a new service starts with
    collection: str
    slots: int  # generations running at once in this worker
    queue: int  # generations waiting for a slot before new ones get 503
    warm_llm: bool  # start the local LLM server at startup instead of at the first question

    @property
    def database(self) -> Path:
        return self.directory / "service.sqlite3"

    @property
    def documents(self) -> Path:
        return self.directory / "documents"


def _positive(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}는 1 이상의 정수여야 합니다 (지금 값: {value!r}).")
    return int(value)


def service_dir() -> Path:
    """``RAGFIRST_SERVICE_DIR`` or ``<cache>/service``, created private to this user."""
    path = Path(os.environ.get(ENV_DIR) or config.cache_dir() / "service").expanduser()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def load() -> Settings:
    """The settings of this process."""
    from ragfirst.rag.index import default_corpus

    return Settings(
        directory=service_dir(),
        corpus=Path(os.environ.get(ENV_CORPUS) or default_corpus()).expanduser(),
        collection=os.environ.get(ENV_COLLECTION) or DEFAULT_COLLECTION,
        slots=_positive(ENV_SLOTS, 1),
        queue=_positive(ENV_QUEUE, 32),
        warm_llm=os.environ.get(ENV_WARM, "1") != "0",
    )
