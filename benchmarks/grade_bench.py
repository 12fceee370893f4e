"""How long grading a class takes: N submissions of one assignment on the machine's cores.

Goal (issue 6): 40 submissions in <= 5 minutes on 2 CPU cores. The class is a mix
of what instructors receive: full solutions, blank exercises, half-done work and a
few broken files. Writes reports/grade_bench.md (git-ignored) and prints it.

    python benchmarks/grade_bench.py [--assignment cost_analysis] [--submissions 40] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ragfirst.grading.grader import grade_assignment  # noqa: E402
from ragfirst.grading.limits import Limits  # noqa: E402
from ragfirst.grading.master import exercise_path, master_path  # noqa: E402

GOAL_SECONDS = 300


def _cpu_seconds() -> float:
    """User + system CPU of this process and of every finished child (the sandboxed kernels)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def make_class(folder: Path, assignment: str, count: int) -> None:
    """``count`` submissions: 50 % solutions, 25 % blank, 15 % half done, 10 % broken files."""
    solution = master_path(assignment).read_bytes()
    blank = exercise_path(assignment).read_bytes()
    half = nbformat.read(master_path(assignment), as_version=4)
    answers = [c for c in half.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    for cell in answers[len(answers) // 2:]:
        cell.source = "raise NotImplementedError()"
    for number in range(count):
        path = folder / f"student{number:03d}.ipynb"
        share = number % 20
        if share < 10:
            path.write_bytes(solution)
        elif share < 15:
            path.write_bytes(blank)
        elif share < 18:
            nbformat.write(half, path)
        else:
            path.write_text('{"cells": [' if share == 18 else "", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="cost_analysis")
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        make_class(folder, args.assignment, args.submissions)
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        started = time.monotonic()
        results = grade_assignment(args.assignment, folder, out, Limits(), workers=args.workers, progress=True)
        seconds = time.monotonic() - started
        cpu = _cpu_seconds() - cpu_before
        load_after = os.getloadavg()[0]
    statuses = Counter(r.status for r in results)
    per = sorted(r.seconds for r in results if r.seconds)
    verdict = "meets" if seconds <= GOAL_SECONDS else "MISSES"
    report = "\n".join([
        "# Grading benchmark",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}; machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"- load average before/after: {load_before:.1f} / {load_after:.1f} (other work on the machine slows this down)",
        f"- assignment: {args.assignment}; submissions: {len(results)}; workers: {args.workers}",
        f"- wall time: **{seconds:.0f} s** ({seconds / max(1, len(results)):.1f} s per submission); "
        f"goal <= {GOAL_SECONDS} s: {verdict}",
        f"- CPU time (grader + every kernel): {cpu:.0f} s = {cpu / max(1, len(results)):.1f} s per submission; "
        f"on {args.workers} otherwise idle cores that is about {cpu / args.workers:.0f} s of wall time "
        f"({'meets' if cpu / args.workers <= GOAL_SECONDS else 'misses'} the goal)",
        f"- per executed submission: median {per[len(per) // 2] if per else 0:.1f} s, max {per[-1] if per else 0:.1f} s",
        f"- statuses: {dict(sorted(statuses.items()))}",
        "",
    ])
    reports = REPO / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "grade_bench.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
