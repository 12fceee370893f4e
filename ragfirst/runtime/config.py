"""Where things live and which LLM backend the course talks to.

Everything derived (models, indexes, grading databases) goes under one cache
directory so that deleting it is always safe.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
ANSWER_KEYS_DIR = DATA_DIR / "answer_keys"  # expected answers: read by the grader, never mounted in the sandbox
# OpenAI's small model as of 2026-12 (data/prices.csv api.gpt-6-luna.*); gpt-4o-mini leaves the API on 2027-01-14.
DEFAULT_OPENAI_MODEL = "gpt-6-luna"

# Libraries that would otherwise phone home or fetch models from a hub.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_defaults() -> None:
    """Set offline switches for hub-aware libraries unless the user chose otherwise."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


# How tests and `make execute` run the course: offline, no learner keys, fixed hash seed.
TEST_ENV = {"RAGFIRST_OFFLINE": "1", "RAGFIRST_NO_DOTENV": "1", "PYTHONHASHSEED": "0"}
OPENAI_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL")


def apply_test_environment() -> None:
    """The environment every test and re-executed notebook runs in; children inherit it."""
    os.environ.update(TEST_ENV)
    for name in OPENAI_VARIABLES:
        os.environ.pop(name, None)
    apply_offline_defaults()


def cache_dir() -> Path:
    """The cache directory (``RAGFIRST_CACHE`` or ``.cache/`` in the repo), created on demand."""
    path = Path(os.environ.get("RAGFIRST_CACHE") or REPO_ROOT / ".cache").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_dotenv_file(path: Path | None = None) -> bool:
    """Load ``.env`` from the repo without overriding variables already set.

    Tests set ``RAGFIRST_NO_DOTENV=1`` so that a learner's key never changes a test run.
    """
    if os.environ.get("RAGFIRST_NO_DOTENV") == "1":
        return False
    from dotenv import load_dotenv

    return load_dotenv(path or REPO_ROOT / ".env", override=False)


@dataclass(frozen=True)
class Backend:
    """Which OpenAI-compatible endpoint generation goes to."""

    kind: str  # "openai" | "compatible" | "local"
    base_url: str | None  # None: OpenAI's default URL, or the local server once started
    model: str | None
    reason: str

    @property
    def follows_instructions(self) -> bool:
        """API and compatible servers serve chat models; the local server a 270M *base* model that only continues text."""
        return self.kind != "local"

    def describe(self) -> str:
        """One line a learner can read; never contains a key."""
        names = {
            "openai": "OpenAI API",
            "compatible": f"OpenAI 호환 서버 ({self.base_url})",
            "local": "로컬 서버 (127.0.0.1, PyPI 휠에 포함된 소형 모델)",
        }
        model = f", 모델 {self.model}" if self.model else ""
        return f"LLM 백엔드: {names[self.kind]}{model} — {self.reason}"


def select_backend(env: dict[str, str] | None = None) -> Backend:
    """Choose the backend from the environment: base URL, then key, then local.

    ``OPENAI_BASE_URL`` wins over a bare key because it is the more specific
    choice (a compatible server may also need a key).
    """
    env = os.environ if env is None else env
    base_url = (env.get("OPENAI_BASE_URL") or "").strip()
    key = (env.get("OPENAI_API_KEY") or "").strip()
    model = (env.get("OPENAI_MODEL") or "").strip() or None
    if base_url:
        return Backend("compatible", base_url, model, "OPENAI_BASE_URL이 설정되어 있습니다")
    if key:
        return Backend("openai", None, model or DEFAULT_OPENAI_MODEL, "OPENAI_API_KEY가 설정되어 있습니다")
    return Backend("local", None, model, "OPENAI_API_KEY와 OPENAI_BASE_URL이 없어 로컬 모델을 씁니다")
