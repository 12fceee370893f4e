"""The gradebook CSV: one row per submission whatever happened, written atomically."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from ragfirst.grading.master import Master
from ragfirst.grading.result import SubmissionResult

FIXED_COLUMNS = ("total", "max", "manual_max", "status", "message")


def columns(master: Master) -> list[str]:
    """student_id, one column per graded cell (autograded, then manual ones marked), totals, status."""
    graded = [c.grade_id for c in master.tests] + [f"{c.grade_id} (manual)" for c in master.manual]
    return ["student_id", *graded, *FIXED_COLUMNS]


def _safe(text: str) -> str:
    """One line, bounded, and never read as a formula by a spreadsheet (CSV injection)."""
    text = " ".join(str(text).split())[:500]
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value: float) -> str:
    return f"{value:g}"


def rows(master: Master, results: list[SubmissionResult]) -> list[dict[str, str]]:
    table = []
    for result in sorted(results, key=lambda r: r.student_id):
        row = {"student_id": _safe(result.student_id)}
        for cell in master.tests:
            row[cell.grade_id] = _number(result.points.get(cell.grade_id, 0.0))
        for cell in master.manual:
            row[f"{cell.grade_id} (manual)"] = ""  # filled in by the instructor with the rubric
        row.update(total=_number(result.total), max=_number(master.auto_max), manual_max=_number(master.manual_max),
                   status=result.status, message=_safe(result.message))
        table.append(row)
    return table


def write_gradebook(path: Path, master: Master, results: list[SubmissionResult]) -> Path:
    """Write ``path`` via a temporary file in the same folder and ``os.replace``: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(master), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(master, results))
    descriptor, temporary = tempfile.mkstemp(prefix=".gradebook-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads Korean
            handle.write(buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
