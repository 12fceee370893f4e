"""Every lecture follows the course layout; lectures/solutions are stored executed, exercises blank."""

import json
from pathlib import Path

import pytest

from ragfirst.runtime.config import REPO_ROOT

LECTURES = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((REPO_ROOT / "solutions").rglob("*.ipynb"))
EXERCISES = sorted((REPO_ROOT / "exercises").rglob("*.ipynb"))
REQUIRED_HEADINGS = ("학습 목표", "예상 소요 시간", "사전 준비", "정리", "스스로 점검")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _ids(paths):
    return [str(p.relative_to(REPO_ROOT)) for p in paths]


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_lectures_are_numbered_without_gaps():
    numbers = [int(p.stem[:2]) for p in LECTURES]
    assert numbers == list(range(len(LECTURES))), [p.stem for p in LECTURES]


@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_lecture_has_the_course_layout(path):
    nb = _load(path)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert markdown.lstrip().startswith("# "), "a lecture starts with its title"
    missing = [h for h in REQUIRED_HEADINGS if h not in markdown]
    assert not missing, f"missing sections: {missing}"


@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_first_code_cell_prepares_the_notebook(path):
    first = "".join(_code_cells(_load(path))[0]["source"])
    assert "notebook.setup()" in first


@pytest.mark.parametrize("path", LECTURES + SOLUTIONS, ids=_ids(LECTURES + SOLUTIONS))
def test_stored_executed_top_to_bottom(path):
    cells = _code_cells(_load(path))
    counts = [c["execution_count"] for c in cells]
    assert all(isinstance(n, int) for n in counts), "every code cell must be executed"
    assert counts == list(range(1, len(counts) + 1)), "re-run the notebook top to bottom (make execute)"


@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_uses_the_course_kernel(path):
    assert _load(path)["metadata"]["kernelspec"]["name"] == "ragfirst"


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_exercises_are_committed_without_outputs(path):
    for cell in _code_cells(_load(path)):
        assert cell.get("outputs") == [] and cell.get("execution_count") is None
