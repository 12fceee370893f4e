"""Merge a submitted notebook with its master: the plan of cells the grader runs.

Only the master decides what is a test: cells are matched by nbgrader
``grade_id`` against the master (never by the submission's own metadata), test
and read-only cells get the master's source back, deleted ones are re-inserted
where they belong, and a cell that claims a grade_id the master does not know
is treated as ordinary student code. Edits are detected by nbgrader's checksum
of the released cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbgrader.utils import compute_checksum

from ragfirst.grading.master import Master, MasterCell


@dataclass(frozen=True)
class PlanCell:
    """A cell to run or grade: ``master`` is None for cells the student added."""

    cell_type: str
    source: str
    master: MasterCell | None = None

    @property
    def kind(self) -> str:
        return self.master.kind if self.master else "student"


@dataclass
class Plan:
    cells: list[PlanCell]
    edited: list[str] = field(default_factory=list)  # grade_ids of test/read-only cells changed by the student
    deleted: list[str] = field(default_factory=list)  # grade_ids missing from the submission, restored
    duplicates: list[str] = field(default_factory=list)  # extra copies of master cells, dropped
    answers: dict[str, str] = field(default_factory=dict)  # grade_id -> student source (answer and manual cells)

    def notes(self) -> list[str]:
        notes = []
        if self.deleted:
            notes.append("restored deleted cells: " + ", ".join(self.deleted))
        if self.edited:
            notes.append("restored edited cells: " + ", ".join(self.edited))
        if self.duplicates:
            notes.append("ignored duplicated cells: " + ", ".join(self.duplicates))
        return notes


def _grade_id(cell) -> str:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return str(meta.get("grade_id", "")) if isinstance(meta, dict) else ""


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def build_plan(master: Master, notebook) -> Plan:
    """The cells to execute, in order, with every master test and read-only cell restored."""
    by_id = master.by_id
    present = {_grade_id(cell) for cell in notebook.cells} & set(by_id)
    tracked = [cell for cell in master.cells if cell.grade_id]
    position = {cell.grade_id: i for i, cell in enumerate(tracked)}
    plan = Plan(cells=[])
    next_master = 0
    placed: set[str] = set()

    def restore_missing_until(stop: int) -> None:
        nonlocal next_master
        while next_master < stop:
            missing = tracked[next_master]
            if missing.grade_id not in present and missing.grade_id not in placed:
                placed.add(missing.grade_id)
                plan.deleted.append(missing.grade_id)
                source = "" if missing.kind in ("answer", "manual") else missing.source
                plan.cells.append(PlanCell(missing.cell_type, source, missing))
            next_master += 1

    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        reference = by_id.get(grade_id)
        if reference is None:  # student cell (or a forged grade_id): untrusted code, no points
            plan.cells.append(PlanCell(str(cell.get("cell_type", "code")), _source(cell)))
            continue
        if grade_id in placed:
            plan.duplicates.append(grade_id)
            continue
        placed.add(grade_id)
        restore_missing_until(position[grade_id])
        next_master = max(next_master, position[grade_id] + 1)
        if reference.kind in ("answer", "manual"):
            plan.answers[grade_id] = _source(cell)
            plan.cells.append(PlanCell(reference.cell_type, _source(cell), reference))
        else:
            if _checksum(cell, reference) not in (reference.checksum, reference.master_checksum):
                plan.edited.append(grade_id)
            plan.cells.append(PlanCell(reference.cell_type, reference.source, reference))
    restore_missing_until(len(tracked))
    return plan


def _checksum(cell, reference: MasterCell) -> str:
    """nbgrader's checksum of the submitted cell, taking grading flags from the master."""
    probe = {
        "cell_type": reference.cell_type,
        "source": _source(cell),
        "metadata": {"nbgrader": {**(cell.get("metadata", {}).get("nbgrader") or {})}},
    }
    try:
        from nbformat import from_dict

        return compute_checksum(from_dict(probe))
    except Exception:  # noqa: BLE001 - malformed student metadata: counts as edited
        return ""
