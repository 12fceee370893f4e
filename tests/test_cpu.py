"""The OpenMP spin policy and thread counts come from one place."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ragfirst.runtime import cpu


def test_threads_from_environment(monkeypatch):
    monkeypatch.setenv("RAGFIRST_TEST_THREADS", "3")
    assert cpu.threads("RAGFIRST_TEST_THREADS") == 3
    monkeypatch.setenv("RAGFIRST_TEST_THREADS", "0")
    assert cpu.threads("RAGFIRST_TEST_THREADS") == 1
    monkeypatch.delenv("RAGFIRST_TEST_THREADS")
    assert cpu.threads("RAGFIRST_TEST_THREADS") == cpu.cores() >= 1


def test_a_bad_thread_count_names_the_variable(monkeypatch):
    monkeypatch.setenv("RAGFIRST_TEST_THREADS", "two")
    with pytest.raises(ValueError, match="RAGFIRST_TEST_THREADS"):
        cpu.threads("RAGFIRST_TEST_THREADS")


def _spin_in_child(env: dict[str, str]) -> str:
    code = "import os, ragfirst; print(os.environ['GOMP_SPINCOUNT'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_importing_ragfirst_sets_the_spin_unless_the_user_did():
    base = {"PATH": "/usr/bin:/bin"}
    assert _spin_in_child(base) == cpu.OPENMP_ENV["GOMP_SPINCOUNT"]
    assert _spin_in_child({**base, "GOMP_SPINCOUNT": "5"}) == "5"
