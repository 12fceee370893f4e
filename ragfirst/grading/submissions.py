"""Find the submissions in a folder exported by an LMS.

Accepted layouts (mixed freely): ``DIR/<student>.ipynb`` (any file: a non-notebook
becomes an ``invalid_notebook`` row, not a crash) or ``DIR/<student>/<anything>.ipynb``.
The student id is the file stem or the folder name. Files are only read, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

IGNORED = {".DS_Store", "Thumbs.db", "__MACOSX", ".ipynb_checkpoints"}
MAX_NOTEBOOK_BYTES = 20 * 1024**2


@dataclass(frozen=True)
class Submission:
    """One student's hand-in: ``path`` is None when there is nothing to grade (``problem`` says why)."""

    student_id: str
    path: Path | None
    problem: str = ""


def student_id_from_name(name: str) -> str:
    """The student id a file or folder name becomes; ragfirst.grading.variants derives per-student cases from it."""
    cleaned = re.sub(r"[^\w.@-]+", "_", name, flags=re.UNICODE).strip("._") or "unnamed"
    return cleaned[:100]


def find_submissions(folder: Path, notebook_name: str = "") -> list[Submission]:
    """Every submission under ``folder`` (a folder, or a single notebook file), sorted by student id."""
    folder = Path(folder)
    if folder.is_file():
        return [Submission(student_id_from_name(folder.stem), folder)]
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {folder} (give the folder the LMS export was unpacked to)")
    found: list[Submission] = []
    for entry in sorted(folder.iterdir()):
        if entry.name in IGNORED or entry.name.startswith("."):
            continue
        if entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not notebooks:
                found.append(Submission(student_id_from_name(entry.name), None, "no .ipynb file in the student's folder"))
            elif len(notebooks) == 1:
                found.append(Submission(student_id_from_name(entry.name), notebooks[0]))
            else:
                named = [p for p in notebooks if p.name == notebook_name]
                if len(named) == 1:
                    found.append(Submission(student_id_from_name(entry.name), named[0]))
                else:
                    names = ", ".join(p.name for p in notebooks[:5])
                    found.append(Submission(student_id_from_name(entry.name), None,
                                            f"several notebooks ({names}); keep only {notebook_name or 'one'}"))
        elif entry.is_file():
            found.append(Submission(student_id_from_name(entry.stem), entry))
    ids = [s.student_id for s in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:  # e.g. kim.ipynb next to a kim/ folder: keep both rows, tell them apart
        counter: dict[str, int] = {}
        renamed = []
        for s in found:
            if s.student_id in duplicates:
                counter[s.student_id] = counter.get(s.student_id, 0) + 1
                s = Submission(f"{s.student_id}#{counter[s.student_id]}", s.path, s.problem)
            renamed.append(s)
        found = renamed
    return sorted(found, key=lambda s: s.student_id)
