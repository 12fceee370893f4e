"""The claims a notebook makes about model-derived numbers, checked with a stated tolerance.

Embeddings, rankings, calibration and training come out slightly different on
another CPU: torch and the embedding engine pick their kernels at run time, and
the thread count changes the order of sums. So a cell that shows such a figure
keeps its output for reading (``# NBVAL_IGNORE_OUTPUT``) and the cell after it
states what the lesson relies on: a relation ("hybrid beats BM25"), a floor, or a
recorded figure with a tolerance chosen from the spread measured across CPUs
(``make test-portable``). :func:`check` prints each statement, identical on every
machine, and raises :class:`ClaimError` naming the figures when one stops holding.

With ``RAGFIRST_CLAIMS_LOG`` set, every checked figure is appended to that file
as one JSON line, which is how ``make test-portable`` reports the spread.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field


class ClaimError(AssertionError):
    """A claim the course makes does not hold on this machine."""


@dataclass(frozen=True)
class Claim:
    statement: str  # what the lesson asserts; printed the same on every machine
    holds: bool
    figures: dict[str, float] = field(default_factory=dict)  # measured here; logged, shown on failure


def at_least(label: str, value: float, floor: float) -> Claim:
    """``value`` is no lower than ``floor`` (a target or a threshold the prose names)."""
    return Claim(f"{label} ≥ {floor:g}", value >= floor, {label: value})


def at_most(label: str, value: float, ceiling: float) -> Claim:
    return Claim(f"{label} ≤ {ceiling:g}", value <= ceiling, {label: value})


def exceeds(label: str, value: float, other_label: str, other: float, margin: float = 0.0) -> Claim:
    """``value`` is at least ``other`` plus ``margin``: one method against another."""
    gap = f" + {margin:g}" if margin else ""
    return Claim(f"{label} ≥ {other_label}{gap}", value >= other + margin, {label: value, other_label: other})


def near(label: str, value: float, recorded: float, tolerance: float) -> Claim:
    """``value`` is within ``tolerance`` of the figure recorded with the notebook."""
    return Claim(f"{label} = {recorded:g} ± {tolerance:g}", abs(value - recorded) <= tolerance, {label: value})


def near_count(label: str, count: int, recorded: int, total: int, tolerance: int) -> Claim:
    """``count`` of ``total`` items is within ``tolerance`` items of the recorded count."""
    return Claim(f"{label} = {recorded}/{total} ± {tolerance}", abs(count - recorded) <= tolerance, {label: count})


def holds(statement: str, condition: bool, **figures: float) -> Claim:
    """Any other claim, in words."""
    return Claim(statement, bool(condition), dict(figures))


def check(*claims: Claim) -> None:
    """Print every claim with ✓; raise :class:`ClaimError` listing those that do not hold."""
    _log(claims)
    failed = [c for c in claims if not c.holds]
    for c in claims:
        if c.holds:
            print(f"확인 ✓ {c.statement}")
    if failed:
        lines = [f"✗ {c.statement} (이 컴퓨터의 측정값: {_format(c.figures)})" for c in failed]
        raise ClaimError("이 노트북의 주장이 이 컴퓨터의 측정과 맞지 않습니다:\n" + "\n".join(lines))


def _format(figures: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.4g}" for name, value in figures.items())


def _log(claims: tuple[Claim, ...]) -> None:
    path = os.environ.get("RAGFIRST_CLAIMS_LOG")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as log:
        for c in claims:
            for name, value in c.figures.items():
                log.write(json.dumps({"claim": c.statement, "figure": name, "value": float(value)},
                                     ensure_ascii=False) + "\n")
