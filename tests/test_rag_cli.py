"""`ragfirst index` and `ragfirst ask` as a learner runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag_fixtures import write_corpus


def run(*args, cache):
    env = {**os.environ, "RAGFIRST_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "ragfirst.cli", *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_index_a_folder_twice(tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    first = run("index", str(corpus), "--collection", "cli-docs", "--json", cache=tmp_path / "cache")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["documents"] == 3 and report["added"] == report["chunks"] > 0 and report["changed"] is True
    second = run("index", str(corpus), "--collection", "cli-docs", cache=tmp_path / "cache")
    assert second.returncode == 0 and "변경 없음" in second.stdout
    assert (tmp_path / "cache" / "chroma").is_dir()


def test_index_refuses_a_bad_file_with_its_name(tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    (corpus / "scan.txt").write_bytes(b"\xff\xfe\x00binary")
    result = run("index", str(corpus), "--collection", "cli-docs", cache=tmp_path / "cache")
    assert result.returncode == 2
    assert "scan.txt" in result.stderr and "바이너리" in result.stderr and "Traceback" not in result.stderr


def test_ask_rejects_bad_questions_before_loading_anything(tmp_path):
    for question, message in [("", "비어 있습니다"), ("What is the refund policy?", "한국어로 질문해 주세요"), ("가" * 10_000, "너무 깁니다")]:
        result = run("ask", question, cache=tmp_path / "cache")
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "cache" / "chroma").exists()


def test_ask_without_an_index_says_how_to_build_it(tmp_path):
    result = run("ask", "배송비 얼마예요?", "--collection", "missing", cache=tmp_path / "cache")
    assert result.returncode == 2 and "ragfirst index" in result.stderr


def test_index_names_skipped_links_and_the_caps(tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    (tmp_path / "secret.txt").write_text("token=abc", encoding="utf-8")
    (corpus / "notes.md").symlink_to(tmp_path / "secret.txt")
    result = run("index", str(corpus), "--collection", "cli-docs", "--json", cache=tmp_path / "cache")
    assert result.returncode == 0 and "notes.md" in result.stderr and "--follow-symlinks" in result.stderr
    assert json.loads(result.stdout)["documents"] == 3
    followed = run("index", str(corpus), "--collection", "cli-docs", "--json", "--follow-symlinks", cache=tmp_path / "cache")
    assert followed.returncode == 0 and json.loads(followed.stdout)["documents"] == 4
    capped = run("index", str(corpus), "--collection", "cli-docs", "--max-files", "2", cache=tmp_path / "cache")
    assert capped.returncode == 2 and "--max-files" in capped.stderr and "Traceback" not in capped.stderr


@pytest.mark.parametrize(("option", "value"), [("--max-files", "0"), ("--max-files", "-3"), ("--max-mb", "0")])
def test_index_refuses_caps_that_allow_nothing(tmp_path, option, value):
    corpus = write_corpus(tmp_path / "docs")
    refused = run("index", str(corpus), "--collection", "cli-docs", option, value, cache=tmp_path / "cache")
    assert refused.returncode == 2 and option in refused.stderr and "Traceback" not in refused.stderr
