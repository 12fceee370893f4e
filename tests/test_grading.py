"""Grading without kernels: masters, exercises, restoring cells, reading submissions, gradebook, feedback."""

from __future__ import annotations

import ast
import csv
import json
import os

import nbformat
import pytest

from ragfirst.grading import feedback, gradebook, grader, judge
from ragfirst.grading.master import (
    HIDDEN_BEGIN,
    assignment_names,
    exercise_path,
    load_master,
    master_path,
    render_exercise,
    strip_hidden,
)
from ragfirst.grading.restore import build_plan
from ragfirst.grading.result import STATUSES, CellReport, SubmissionResult
from ragfirst.grading.submissions import find_submissions

ASSIGNMENTS = assignment_names()


def test_strip_hidden_removes_only_the_hidden_block():
    source = "assert a == 1\n### BEGIN HIDDEN TESTS\nassert a != 2\n### END HIDDEN TESTS\nassert b"
    assert strip_hidden(source) == "assert a == 1\nassert b"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_current_with_their_masters(assignment):
    """Fails when regenerating exercises/ from solutions/ would change them: run
    `python -m ragfirst.grading.master` and commit the result."""
    committed = exercise_path(assignment).read_text(encoding="utf-8")
    assert committed == render_exercise(assignment), f"exercises/{assignment} is stale: python -m ragfirst.grading.master"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_has_no_outputs_no_solutions_no_hidden_tests(assignment):
    master = load_master(assignment)
    exercise = nbformat.read(exercise_path(assignment), as_version=4)
    text = exercise_path(assignment).read_text(encoding="utf-8")
    assert HIDDEN_BEGIN not in text and "BEGIN SOLUTION" not in text
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in exercise.cells if c.cell_type == "code")
    answers = [c for c in exercise.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    assert answers and all("raise NotImplementedError()" in c.source for c in answers)
    for cell in master.tests:  # hidden lines of the master never reach the student's copy
        for line in set(cell.source.split("\n")) - set(cell.visible_source.split("\n")):
            assert len(line.strip()) < 8 or line not in text, line
    assert master.auto_max > 0 and master.manual_max > 0 and master.student_names


def _cells(notebook):
    return [c.metadata.get("nbgrader", {}).get("grade_id", "") for c in notebook.cells]


@pytest.fixture
def exercise():
    return nbformat.read(exercise_path("decision_scenarios"), as_version=4)


def test_plan_restores_deleted_test_cells_in_place(exercise):
    master = load_master("decision_scenarios")
    exercise.cells = [c for c in exercise.cells if _cells_id(c) != "scenario2_flowchart_test"]
    plan = build_plan(master, exercise)
    ids = [c.master.grade_id for c in plan.cells if c.master]
    assert plan.deleted == ["scenario2_flowchart_test"]
    assert ids.index("scenario2_answer") + 1 == ids.index("scenario2_flowchart_test")
    restored = next(c for c in plan.cells if c.master and c.master.grade_id == "scenario2_flowchart_test")
    assert HIDDEN_BEGIN in restored.source  # the master's complete source, hidden part included


def _cells_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def test_plan_restores_edited_tests_and_ignores_forged_metadata(exercise):
    master = load_master("decision_scenarios")
    for cell in exercise.cells:
        if _cells_id(cell) == "scenario1_choice_test":
            cell.source = "pass"
        if _cells_id(cell) == "scenario2_choice_test":
            cell.metadata["nbgrader"]["points"] = 50  # same source, more points: still an edit
    forged = nbformat.v4.new_code_cell("assert True")
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "extra", "points": 99}
    exercise.cells.append(forged)
    exercise.cells.append(exercise.cells[6])  # a duplicated test cell
    plan = build_plan(master, exercise)
    assert sorted(plan.edited) == ["scenario1_choice_test", "scenario2_choice_test"]
    assert plan.duplicates == [exercise.cells[6].metadata["nbgrader"]["grade_id"]]
    assert plan.cells[-1].kind == "student" and plan.cells[-1].source == "assert True"
    sources = {c.master.grade_id: c.source for c in plan.cells if c.master}
    assert sources["scenario1_choice_test"] == master.by_id["scenario1_choice_test"].source


def test_plan_of_an_untouched_exercise_restores_nothing(exercise):
    plan = build_plan(load_master("decision_scenarios"), exercise)
    assert (plan.edited, plan.deleted, plan.duplicates) == ([], [], [])
    assert plan.answers["scenario1_answer"].startswith("# 여기에 코드를 작성하세요")


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b'{"cells": [', "not valid notebook JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\xff", "not a text file"),
    (json.dumps({"cells": "nope"}).encode(), "no cell list"),
    (json.dumps([1, 2]).encode(), "no cell list"),
    (json.dumps({"cells": [{"cell_type": "weird", "source": ""}], "metadata": {}, "nbformat": 4,
                 "nbformat_minor": 5}).encode(), "not a readable notebook"),
])
def test_read_notebook_rejects_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=reason):
        grader.read_notebook(path)


def test_find_submissions_accepts_files_and_folders(tmp_path):
    (tmp_path / "kim minsu.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "lee").mkdir()
    (tmp_path / "lee" / "cost_analysis.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "park").mkdir()
    (tmp_path / "park" / "a.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "park" / "b.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "choi").mkdir()
    (tmp_path / ".DS_Store").write_text("", encoding="utf-8")
    found = {s.student_id: s for s in find_submissions(tmp_path, "cost_analysis.ipynb")}
    assert sorted(found) == ["choi", "kim_minsu", "lee", "park"]
    assert found["lee"].path.name == "cost_analysis.ipynb"
    assert found["park"].path is None and "several notebooks" in found["park"].problem
    assert found["choi"].path is None and "no .ipynb" in found["choi"].problem
    with pytest.raises(FileNotFoundError, match="submissions folder not found"):
        find_submissions(tmp_path / "nope")


def _result(student, status="graded", points=None, message=""):
    master = load_master("decision_scenarios")
    points = points or {c.grade_id: 0.0 for c in master.tests}
    tests = [CellReport(c.grade_id, points.get(c.grade_id, 0.0), c.points, "passed", "", False if c.has_hidden else None)
             for c in master.tests]
    return SubmissionResult(student, status, message, points, tests, notes=[message] if message else [])


def test_gradebook_has_one_row_per_result_and_escapes_formulas(tmp_path):
    master = load_master("decision_scenarios")
    results = [_result("a", points={"scenario1_choice_test": 2.0}), _result("=cmd|calc", "invalid_notebook", message="-1+1")]
    path = gradebook.write_gradebook(tmp_path / "gradebook.csv", master, results)
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert [r["student_id"] for r in rows] == ["'=cmd|calc", "a"]
    assert rows[1]["scenario1_choice_test"] == "2" and rows[1]["total"] == "2" and rows[1]["max"] == "6"
    assert rows[1]["scenario1_reason (manual)"] == "" and rows[1]["manual_max"] == "6"
    assert rows[0]["message"] == "'-1+1" and rows[0]["status"] in STATUSES


def test_gradebook_write_is_atomic(tmp_path, monkeypatch):
    master = load_master("decision_scenarios")
    path = gradebook.write_gradebook(tmp_path / "gradebook.csv", master, [_result("a")])
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        gradebook.write_gradebook(path, master, [_result("b")])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]  # no temporary file left behind


def test_feedback_escapes_student_text_and_shows_hidden_as_pass_fail_only():
    master = load_master("decision_scenarios")
    result = _result("<b>x</b>", message="<script>alert(1)</script>")
    result.tests[0].visible_message = "<img src=x onerror=alert(1)>"
    page = feedback.render(master, result)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert page.count("통과하지 못함") == sum(1 for t in master.tests if t.has_hidden)
    assert HIDDEN_BEGIN not in page


def test_names_used_sees_names_inside_functions_and_comprehensions():
    source = "def check(c):\n    return helper(c) + [x for x in answer]\nassert check(1)"
    assert {"helper", "answer", "check"} <= judge.names_used(source)


def test_out_folder_inside_submissions_is_refused(tmp_path):
    with pytest.raises(grader.GraderError, match="inside the submissions folder"):
        grader.grade_assignment("decision_scenarios", tmp_path, tmp_path / "out")


def test_unknown_assignment_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="Known assignments: address_tool, cost_analysis"):
        load_master("nope")


@pytest.mark.parametrize("setting, reason", [
    ("0", "unused uid above 0"),
    ("nobody", "unused uid above 0"),
    ("1", "belongs to the account"),  # uid 1 is an account on every Linux (daemon or bin)
])
def test_a_root_grader_refuses_a_sandbox_uid_that_is_not_free(monkeypatch, setting, reason):
    from ragfirst.grading import jail

    monkeypatch.setenv(jail.UID_ENV, setting)
    problem = jail._root_problem()
    assert problem is not None and reason in problem and jail.UID_ENV in problem


def test_a_root_grader_kernel_is_never_mapped_to_host_root():
    from ragfirst.grading import jail

    as_root = jail.Identity(False, jail.DEFAULT_FIRST_UID, jail.DEFAULT_FIRST_UID, jail.DEFAULT_FIRST_UID)
    assert "--map-root-user" not in jail.unshare_command(as_root) and "--user" not in jail.unshare_command(as_root)
    assert f"--reuid={jail.DEFAULT_FIRST_UID}" in jail._drop(as_root)


def test_cost_analysis_model_answer_quotes_its_own_output():
    """The model interpretation must say what the executed analysis shows (it once called 0.61 'higher')."""
    master = nbformat.read(master_path("cost_analysis"), as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id", ""): c for c in master.cells}
    shown = next(c for c in master.cells if c.cell_type == "code" and c.source.rstrip().endswith("my_analysis"))
    output = ast.literal_eval(shown.outputs[0]["data"]["text/plain"])
    text = cells["my_case_interpretation"].source
    assert f"{output['연간_비용']:,.0f}만원" in text and f"{output['예상_비용']:,.0f}만원" in text
    assert f"{output['성능']:.0f}%" in text and f"{output['예상_성능']:.0f}%" in text
    assert f"{output['ROI_개선']}" in text
    assert output["ROI_개선"] < 1 and "낮" in text  # below 1: the alternative gives less value per 만원


def test_cost_variants_are_per_student_stable_and_valid():
    from ragfirst.economics.roi import calculate_ai_approach_roi
    from ragfirst.economics.roi_inputs import APPROACHES
    from ragfirst.grading.variants import cost_variant

    cases = [cost_variant(f"student{n}") for n in range(40)]
    assert cost_variant("kim minsu") == cost_variant("kim_minsu")  # the id a file name becomes
    assert len({str(c["project"]) for c in cases}) == len(cases)  # two students' numbers differ
    for case in cases:
        for approach in APPROACHES:
            calculate_ai_approach_roi(approach, case["project"])
    with pytest.raises(ValueError, match="STUDENT_ID"):
        cost_variant("  ")


def test_limits_are_raised_to_an_assignments_floor_and_never_lowered():
    from ragfirst.grading.limits import Limits

    given = Limits(cell_timeout=10.0, processes=64, memory_bytes=1024**3)
    raised = given.at_least({"cell_timeout": 180, "processes": 32, "address_space_bytes": 4 * 1024**3})
    assert (raised.cell_timeout, raised.processes, raised.memory_bytes) == (180.0, 64, 1024**3)
    assert raised.address_space_bytes == 4 * 1024**3 and isinstance(raised.processes, int)


@pytest.mark.parametrize("limits, reason", [
    ({"cell_timeout": 60, "wall_clock": 5}, "not a limit"),
    ({"cell_timeout": -1}, "positive number"),
    ({"processes": True}, "positive number"),
    ([60], "mapping"),
])
def test_malformed_master_limits_are_refused(limits, reason):
    from ragfirst.grading.master import MasterError, _limits

    notebook = nbformat.v4.new_notebook(metadata={"ragfirst": {"grading_limits": limits}})
    with pytest.raises(MasterError, match=reason):
        _limits(notebook, "x.ipynb")
