"""What grading one submission produced (shared by the grader, the gradebook and the feedback)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Every status a gradebook row can carry.
STATUSES = {
    "graded": "all cells ran; points from the tests",
    "timeout": "a cell ran past the time limit and was interrupted; the other cells were graded",
    "kernel_died": "the kernel stopped (crash, os._exit, memory) before the end; tests after that scored 0",
    "output_limit": "a cell printed more than the output limit and was stopped",
    "invalid_notebook": "the file is not a readable Jupyter notebook; nothing was run",
    "missing": "no notebook was found for this student",
    "sandbox_error": "the grader could not start the sandbox; nothing was run (instructor's side)",
    "grader_error": "an unexpected error in the grader (instructor's side); see message",
}


@dataclass
class CellReport:
    """One autograded cell: points, and the visible/hidden outcomes shown in the feedback."""

    grade_id: str
    points: float
    max_points: float
    visible_status: str  # passed | failed | error | timeout | kernel_died | not_run
    visible_message: str
    hidden_passed: bool | None  # None: no hidden tests in this cell


@dataclass
class SubmissionResult:
    student_id: str
    status: str
    message: str = ""
    points: dict[str, float] = field(default_factory=dict)
    tests: list[CellReport] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # manual answers, for the rubric
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.points.values())
