"""Instructor masters (``solutions/<assignment>/*.ipynb``) and the exercises made from them.

A master is an nbgrader source notebook: answer cells carry
``### BEGIN SOLUTION``/``### END SOLUTION``, autograder test cells may hold a
``### BEGIN HIDDEN TESTS`` block, and every graded cell has nbgrader metadata
(``grade_id``, ``points``). The student version is produced with nbgrader's own
preprocessors (the ones ``nbgrader generate_assignment`` runs), without its
database: nothing here needs a course directory, and regenerating is a pure
function of the master, so a test can prove ``exercises/`` is current.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat
from nbgrader.utils import compute_checksum

from ragfirst.runtime.config import REPO_ROOT

SOLUTIONS_DIR = REPO_ROOT / "solutions"
EXERCISES_DIR = REPO_ROOT / "exercises"
LIMITS_KEY = ("ragfirst", "grading_limits")  # notebook metadata: {"cell_timeout": 120, ...}, floors over the defaults
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
CODE_STUB = "# 여기에 코드를 작성하세요\nraise NotImplementedError()"
TEXT_STUB = "여기에 답을 작성하세요."


class MasterError(ValueError):
    """A master notebook is malformed; the message names the notebook and cell."""


@dataclass(frozen=True)
class MasterCell:
    """One cell of a master and what the grader does with it.

    kind: ``answer`` (student code, autograded through tests), ``manual``
    (student answer graded by hand with the rubric), ``test`` (autograder tests,
    restored from the master), ``readonly`` (instructor code, restored),
    ``plain`` (no nbgrader metadata: instructions the student may edit).
    """

    kind: str
    cell_type: str
    source: str
    grade_id: str = ""
    points: float = 0.0
    checksum: str = ""  # nbgrader checksum of the released (student) version of the cell
    master_checksum: str = ""  # the same for the master's cell (hidden tests included)

    @property
    def visible_source(self) -> str:
        return strip_hidden(self.source)

    @property
    def has_hidden(self) -> bool:
        return HIDDEN_BEGIN in self.source


@dataclass
class Master:
    """A parsed master: its cells, grading plan and the names answers must define."""

    name: str
    path: Path
    cells: list[MasterCell]
    student_names: frozenset[str] = field(default_factory=frozenset)
    limits: dict[str, float] = field(default_factory=dict)  # sandbox limits this assignment needs at least

    @property
    def by_id(self) -> dict[str, MasterCell]:
        return {cell.grade_id: cell for cell in self.cells if cell.grade_id}

    @property
    def tests(self) -> list[MasterCell]:
        return [cell for cell in self.cells if cell.kind == "test"]

    @property
    def manual(self) -> list[MasterCell]:
        return [cell for cell in self.cells if cell.kind == "manual"]

    @property
    def auto_max(self) -> float:
        return sum(cell.points for cell in self.tests)

    @property
    def manual_max(self) -> float:
        return sum(cell.points for cell in self.manual)


def strip_hidden(source: str) -> str:
    """``source`` without its hidden-test block (what the student sees)."""
    lines, hidden = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines).rstrip("\n")


def assignment_names() -> list[str]:
    """Assignments are the folders of ``solutions/`` that hold a notebook."""
    if not SOLUTIONS_DIR.is_dir():
        return []
    return sorted(p.name for p in SOLUTIONS_DIR.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def master_path(assignment: str) -> Path:
    folder = SOLUTIONS_DIR / assignment
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if len(notebooks) != 1:
        known = ", ".join(assignment_names()) or "(none)"
        if not notebooks:
            raise MasterError(f"assignment '{assignment}': no master notebook in {folder}. Known assignments: {known}")
        raise MasterError(f"assignment '{assignment}': expected one notebook in {folder}, found {len(notebooks)}")
    return notebooks[0]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _kind(cell) -> str:
    meta = _nbgrader(cell)
    if not meta:
        return "plain"
    if meta.get("solution") and meta.get("grade"):
        return "manual"
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("task"):
        return "manual"
    return "readonly"


def _defined_names(source: str) -> set[str]:
    """Top-level names an answer cell binds (assignments, def, class)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


@lru_cache(maxsize=16)  # keyed on mtime: a bound keeps edited masters from piling up
def _load_master_cached(path: str, mtime: float) -> Master:
    path_obj = Path(path)
    notebook = nbformat.read(path_obj, as_version=4)
    release = release_notebook(notebook)
    cells: list[MasterCell] = []
    seen: set[str] = set()
    student_names: set[str] = set()
    for index, (cell, released) in enumerate(zip(notebook.cells, release.cells)):
        meta, kind = _nbgrader(cell), _kind(cell)
        grade_id = str(meta.get("grade_id", "")) if meta else ""
        where = f"{path_obj.name}, cell {index + 1}"
        if meta and not grade_id:
            raise MasterError(f"{where}: nbgrader cell without grade_id; give every graded or locked cell a unique grade_id")
        if grade_id and grade_id in seen:
            raise MasterError(f"{where}: grade_id '{grade_id}' is used twice; grade ids must be unique")
        seen.add(grade_id)
        if kind == "test" and cell.cell_type != "code":
            raise MasterError(f"{where}: test cell '{grade_id}' must be a code cell")
        if kind == "answer" and cell.cell_type == "code":
            student_names |= _defined_names(cell.source)
        if kind == "plain" and cell.cell_type == "code":
            raise MasterError(f"{where}: code cell without nbgrader metadata; make it read-only (locked) "
                              "so the grader can restore it")
        points = float(meta.get("points", 0) or 0) if kind in ("test", "manual") else 0.0
        checksum = _nbgrader(released).get("checksum", "")
        master_checksum = compute_checksum(cell) if meta else ""
        cells.append(MasterCell(kind, cell.cell_type, cell.source, grade_id, points, checksum, master_checksum))
    return Master(path_obj.parent.name, path_obj, cells, frozenset(student_names), _limits(notebook, path_obj.name))


def _limits(notebook, where: str) -> dict[str, float]:
    """The master's ``metadata.ragfirst.grading_limits``: names of :class:`~ragfirst.grading.limits.Limits`
    fields and the least each may be for this assignment."""
    from dataclasses import fields

    from ragfirst.grading.limits import Limits

    section, key = LIMITS_KEY
    wanted = (notebook.metadata.get(section) or {}).get(key) or {}
    known = {f.name for f in fields(Limits)}
    if not isinstance(wanted, dict):
        raise MasterError(f"{where}: metadata {section}.{key} must be a mapping of limit names to numbers")
    for name, value in wanted.items():
        if name not in known:
            raise MasterError(f"{where}: metadata {section}.{key} names '{name}', not a limit; known: {', '.join(sorted(known))}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise MasterError(f"{where}: metadata {section}.{key}.{name} must be a positive number, got {value!r}")
    return dict(wanted)


def load_master(assignment: str) -> Master:
    """Parse ``solutions/<assignment>/<name>.ipynb`` (cached while the file is unchanged)."""
    path = master_path(assignment)
    return _load_master_cached(str(path), path.stat().st_mtime)


def release_notebook(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a master, made by nbgrader's generate_assignment preprocessors."""
    from nbconvert.preprocessors import ClearOutputPreprocessor
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )
    from traitlets.config import Config

    config = Config()
    config.ClearSolutions.code_stub = {"python": CODE_STUB}
    config.ClearSolutions.text_stub = TEXT_STUB
    notebook = copy.deepcopy(master)
    resources: dict = {}
    for preprocessor in (
        ClearSolutions(config=config), ClearHiddenTests(config=config), ClearMarkScheme(config=config),
        ClearOutputPreprocessor(), LockCells(config=config), ComputeChecksums(config=config),
        CheckCellMetadata(config=config),
    ):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)
    return notebook


def exercise_path(assignment: str) -> Path:
    return EXERCISES_DIR / assignment / master_path(assignment).name


def render_exercise(assignment: str) -> str:
    """The exercise notebook's file content, exactly as ``write_exercises`` stores it."""
    notebook = nbformat.read(master_path(assignment), as_version=4)
    return nbformat.writes(release_notebook(notebook)) + "\n"


def write_exercises(assignments: list[str] | None = None) -> list[Path]:
    """(Re)generate ``exercises/<assignment>/`` from the masters; returns the files written."""
    written = []
    for assignment in assignments or assignment_names():
        target = exercise_path(assignment)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_exercise(assignment), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":  # python -m ragfirst.grading.master: regenerate exercises/
    for written in write_exercises():
        print(f"wrote {written.relative_to(REPO_ROOT)}")
