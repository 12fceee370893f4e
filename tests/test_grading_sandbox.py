"""End-to-end grading in the sandbox: the hostile suite, the solutions and the blank exercises.

Each assignment is graded once per module (module-scoped fixtures) and many
assertions read the same results, so the kernels run only once.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grading_suite import ASSIGNMENT, RIGHT, build_suite, notebook_with
from needs import require

from ragfirst.grading import grader, judge
from ragfirst.grading.jail import sandbox_problem
from ragfirst.grading.limits import Limits
from ragfirst.grading.master import assignment_names, exercise_path, load_master, master_path
from ragfirst.grading.sandbox import SandboxedKernel


@pytest.fixture(autouse=True, scope="module")
def _sandbox_available():
    require(sandbox_problem(), "the grading sandbox (user, mount and network namespaces)")


TEST_LIMITS = Limits(cell_timeout=10.0, memory_bytes=1536 * 1024**2, submission_timeout=120.0)


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


NESTED = Path(sys.prefix) / "ragfirst-nested-mount-probe"  # inside the venv, which the sandbox binds read-only


@pytest.fixture(scope="module")
def nested_mount():
    """A tmpfs mounted inside a folder the sandbox binds read-only (root only: it mounts on the host)."""
    if os.geteuid() != 0:
        yield None
        return
    NESTED.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=1777", "tmpfs", str(NESTED)], check=True)
    try:
        (NESTED / "note.txt").write_text("original", encoding="utf-8")
        yield NESTED
    finally:
        subprocess.run(["umount", str(NESTED)], check=False)
        NESTED.rmdir()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, nested_mount):
    folder = tmp_path_factory.mktemp("submissions")
    expect = build_suite(folder, nested_mount)
    before = _hashes(folder)
    out = tmp_path_factory.mktemp("out")
    results = grader.grade_assignment(ASSIGNMENT, folder, out, TEST_LIMITS, workers=2, progress=False)
    return {"folder": folder, "expect": expect, "before": before, "out": out, "nested": nested_mount,
            "results": {r.student_id: r for r in results}}


def test_every_submission_gets_one_row_with_the_expected_status_and_points(hostile):
    rows = list(csv.DictReader((hostile["out"] / "gradebook.csv").open(encoding="utf-8-sig")))
    assert sorted(r["student_id"] for r in rows) == sorted(hostile["expect"])
    problems = []
    for row in rows:
        want = hostile["expect"][row["student_id"]]
        if row["status"] != want["status"] or float(row["total"]) != want["points"]:
            problems.append(f"{row['student_id']}: got {row['status']} {row['total']}, want {want['status']} "
                            f"{want['points']} ({row['message']})")
        if want["note"] and want["note"] not in row["message"]:
            problems.append(f"{row['student_id']}: message {row['message']!r} lacks {want['note']!r}")
        assert row["max"] == "6"
    assert not problems, "\n".join(problems)


def test_submissions_are_never_modified_and_nothing_escapes_into_them(hostile):
    assert _hashes(hostile["folder"]) == hostile["before"]
    assert not (master_path(ASSIGNMENT).parent / "pwned.txt").exists()


def test_a_mount_nested_in_a_read_only_folder_stays_read_only(hostile):
    require(None if hostile["nested"] else "not root", "a nested mount on the host (root)")
    assert "nested_mount_write" in hostile["expect"]
    assert (hostile["nested"] / "note.txt").read_text(encoding="utf-8") == "original"
    assert not (hostile["nested"] / "pwned.txt").exists()  # the tmpfs is world-writable: only read-only stops it


def test_scratch_is_a_size_limited_tmpfs_and_not_the_host_disk(hostile):
    row = hostile["results"]["fill_scratch"]
    assert row.status == "graded" and row.total == 0.0, row.message


def test_over_the_submission_time_limit_the_tests_stop_too(tmp_path):
    """Phase B (the complete tests) obeys the submission's limit: each probe is slow but under the cell limit."""
    slow = notebook_with(RIGHT, extra_cells=[
        "import time\nget_ipython().events.register('pre_execute', lambda: time.sleep(25))"])
    submission = tmp_path / "slow.ipynb"
    nbformat.write(slow, submission)
    limits = Limits(cell_timeout=60.0, submission_timeout=20.0, memory_bytes=TEST_LIMITS.memory_bytes)
    result = grader.grade_submission(load_master(ASSIGNMENT), grader.Submission("slow", submission), limits)
    assert result.status == "timeout" and result.total == 0.0, result.message
    assert "limit per submission" in result.message


def test_feedback_per_student_without_hidden_test_code(hostile):
    master = load_master(ASSIGNMENT)
    hidden_lines = {line.strip() for cell in master.tests for line in cell.source.split("\n")
                    if line.strip() and line.strip() not in cell.visible_source}
    assert hidden_lines  # the master does have hidden tests
    pages = sorted((hostile["out"] / "feedback").glob("*.html"))
    assert len(pages) == len(hostile["expect"])
    for page in pages:
        text = page.read_text(encoding="utf-8")
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, f"{page.name} shows hidden test code: {leaked}"
    partial = (hostile["out"] / "feedback" / "partial.html").read_text(encoding="utf-8")
    assert "2 / 6" in partial and "통과하지 못함" in partial


def test_manual_answers_are_collected_for_the_rubric(hostile):
    answers = (hostile["out"] / "manual" / "scenario1_reason.md").read_text(encoding="utf-8")
    assert "## solution" in answers and "판례" in answers  # the master's model answer is the solution's text


def test_test_code_never_enters_the_students_kernel(tmp_path, monkeypatch):
    """Record everything sent to kernels while grading the cost analysis solution."""
    sent: list[str] = []
    original = SandboxedKernel.execute

    def recording(self, code, *args, **kwargs):
        sent.append(code)
        return original(self, code, *args, **kwargs)

    monkeypatch.setattr(SandboxedKernel, "execute", recording)
    master = load_master("cost_analysis")
    submission = tmp_path / "s.ipynb"
    submission.write_bytes(master.path.read_bytes())
    # "solution": the id the master's STUDENT_ID names, so its per-student variant test passes too
    result = grader.grade_submission(master, grader.Submission("solution", submission), TEST_LIMITS)
    assert result.total == master.auto_max
    everything = "\n".join(sent)
    for cell in master.tests:
        for line in cell.source.split("\n"):
            if line.strip().startswith(("assert", "_got", "_best", "for _case", "def _reference")):
                assert line.strip() not in everything, f"test line reached the kernel: {line.strip()}"


@pytest.mark.parametrize("assignment", ["address_tool", "cost_analysis", "tech_selection"])
def test_solution_scores_full_marks_and_blank_exercise_zero(assignment, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "solution.ipynb").write_bytes(master_path(assignment).read_bytes())
    (folder / "blank.ipynb").write_bytes(exercise_path(assignment).read_bytes())
    results = {r.student_id: r for r in grader.grade_assignment(assignment, folder, tmp_path / "out", TEST_LIMITS,
                                                                progress=False)}
    master = load_master(assignment)
    assert results["solution"].status == "graded" and results["solution"].total == master.auto_max > 0
    assert results["blank"].status == "graded" and results["blank"].total == 0
    assert all(t.hidden_passed is not False for t in results["solution"].tests)


def _solved(assignment: str, changes: dict[str, tuple[str, str]]):
    """The master with text replaced in some answer cells: {grade_id: (old, new)}."""
    notebook = nbformat.read(master_path(assignment), as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in changes:
            old, new = changes[grade_id]
            assert old in cell.source, (grade_id, old)
            cell.source = cell.source.replace(old, new)
    return notebook


# Every alternative the course defends scores its stated points (docs/instructor.md, "채점 기준").
ALTERNATIVES = {
    "tech_selection": {
        "both_trained_models": ({"choices_answer": ('"제조 라인 불량 검사 AI": 5, "온라인 서점 도서 추천": 5',
                                                    '"제조 라인 불량 검사 AI": 4, "온라인 서점 도서 추천": 4')}, 0),
        "books_tool_only": ({"choices_answer": ('"온라인 서점 도서 추천": 5', '"온라인 서점 도서 추천": 3')}, 0),
        "inspection_wired_in": ({"flowchart_answer": ('"needs_realtime_tools": False,  # 실시간 처리',
                                                      '"needs_realtime_tools": True,  # 실시간 처리')}, 0),
        "inspection_tools_only": ({"choices_answer": ('"제조 라인 불량 검사 AI": 5', '"제조 라인 불량 검사 AI": 3')}, 2),
        "books_live_stock_missed": ({"flowchart_answer": ('"needs_realtime_tools": True,  # 실시간 재고',
                                                          '"needs_realtime_tools": False,  # 실시간 재고')}, 2),
    },
    "address_tool": {  # tools that skip one rule lose exactly that rule's points
        "forgets_the_owner": ({"tool_answer": ('if order["customer_id"] != customer_id:', "if False:")}, 3),
        "changes_shipped_orders": ({"tool_answer": ('if order["status"] not in CHANGEABLE_STATUSES:', "if False:")}, 2),
    },
    "cost_analysis": {  # the file name is the student id the variant comes from
        "kim_minsu": ({"student_id_answer": ('"solution"', '"kim_minsu"')}, 0),
        "copied_from_kim": ({"student_id_answer": ('"solution"', '"kim_minsu"')}, 2),
        "wrote_own_id": ({"student_id_answer": ('"solution"', '"wrote_own_id"')}, 0),
    },
}


@pytest.mark.parametrize("assignment", sorted(ALTERNATIVES))
def test_each_defensible_alternative_scores_its_stated_points(assignment, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for student, (changes, _) in ALTERNATIVES[assignment].items():
        nbformat.write(_solved(assignment, changes), folder / f"{student}.ipynb")
    results = {r.student_id: r for r in grader.grade_assignment(assignment, folder, tmp_path / "out", TEST_LIMITS,
                                                                progress=False)}
    full = load_master(assignment).auto_max
    lost = {student: full - results[student].total for student in ALTERNATIVES[assignment]}
    assert lost == {student: points for student, (_, points) in ALTERNATIVES[assignment].items()}


def test_the_five_assignments_exist():
    assert assignment_names() == ["address_tool", "cost_analysis", "decision_scenarios", "my_rag", "tech_selection"]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    with SandboxedKernel(tmp_path_factory.mktemp("kernel"), TEST_LIMITS) as running:
        yield running


def write_denied(owner: int) -> str:
    """How writing a file of ``owner`` fails: the kernel runs as the grader's uid only when the grader is
    not root; as its owner only the read-only mount refuses (OSError EROFS), otherwise permissions do first."""
    return "OSError" if owner == os.geteuid() != 0 else "PermissionError"


@pytest.mark.parametrize("code, error", [
    (f"open({str(master_path(ASSIGNMENT))!r})", "FileNotFoundError"),
    (f"import os; os.listdir({str(master_path(ASSIGNMENT).parent.parent)!r})", "FileNotFoundError"),
    ("import os; os.listdir('/root/.ssh')", "FileNotFoundError"),
    ("import _socket; s = _socket.socket(); s.connect(('127.0.0.1', 22))", "OSError"),
    ("import _socket; s = _socket.socket(); s.connect(('1.1.1.1', 80))", "OSError"),
    (f"open({str(Path(grader.__file__))!r}, 'a')", write_denied(Path(grader.__file__).stat().st_uid)),
    ("import subprocess; subprocess.run(['mount', '-o', 'remount,rw', '/'], check=True)", "CalledProcessError"),
    ("bytearray(4 * 1024**3)", "MemoryError"),
    ("open('/etc/shadow')", "FileNotFoundError"),
    ("import os; os.open('/proc/sys/kernel/core_pattern', os.O_WRONLY)", "PermissionError"),
    ("open('/proc/sys/vm/drop_caches', 'a')", "PermissionError"),
    ("import os; os.listdir('/sys')", "FileNotFoundError"),
    ("from ragfirst.runtime.config import ANSWER_KEYS_DIR; import os; os.listdir(ANSWER_KEYS_DIR)", "FileNotFoundError"),
    ("from ragfirst.economics.decide import scenario; scenario('legal_contract')['seed_answer']", "KeyError"),
    ("open('/etc/passwd', 'a')", write_denied(os.geteuid())),  # generated by the sandbox's own root
])
def test_sandbox_refuses(kernel, code, error):
    ran = kernel.execute(code)
    assert ran.status == "error" and ran.ename == error, (ran.status, ran.ename, ran.evalue)


def test_sandbox_runs_without_privileges_as_an_unprivileged_host_uid(kernel):
    ran = kernel.execute("import os; print(os.getuid(), open('/proc/self/status').read())")
    assert ran.status == "ok"
    inside_uid = int(ran.output.split()[0])
    fields = dict(line.split(":", 1) for line in ran.output.split("\n", 1)[1].splitlines() if ":" in line)
    assert fields["CapEff"].strip() == fields["CapBnd"].strip() == "0000000000000000"
    assert fields["NoNewPrivs"].strip() == "1"
    host_uid = os.stat(f"/proc/{kernel.kernel_pid()}").st_uid
    assert host_uid != 0 and host_uid == (os.geteuid() if os.geteuid() else inside_uid)


def test_process_count_is_limited(kernel):
    ran = kernel.execute("import os, time\npids = []\ntry:\n    for _ in range(20):\n        pid = os.fork()\n"
                         "        if pid == 0:\n            time.sleep(30)\n            os._exit(0)\n        pids.append(pid)\n"
                         "finally:\n    for pid in pids:\n        os.kill(pid, 9)\n        os.waitpid(pid, 0)")
    assert ran.status == "error" and ran.ename == "BlockingIOError", (ran.status, ran.ename, ran.evalue)


def test_sandbox_sees_only_its_own_processes_and_no_grader_environment(kernel):
    ran = kernel.execute("import os; print(sorted(p for p in os.listdir('/proc') if p.isdigit()), os.getcwd(), "
                         "'OPENAI_API_KEY' in os.environ, os.environ.get('HOME'))")
    assert ran.status == "ok"
    assert ran.output.strip() == "['1'] /home/student False /home/student"


def test_probe_returns_plain_data_only(kernel):
    kernel.execute("class Sneaky(int):\n    def __eq__(self, other): return True\nanswer = Sneaky(1)\nfrom collections import Counter\n"
                   "table = Counter('ab')\nimport numpy as np\nvec = np.arange(3)\ndef f(x): return {'x': x * 2}")
    session = judge.StudentSession(kernel, 5)
    values = session.resolve(["answer", "vec", "f", "missing"])
    assert values["answer"] == 1 and type(values["answer"]) is int and values["answer"] != 5
    assert values["vec"] == [0, 1, 2]
    assert values["f"](21) == {"x": 42}
    assert "missing" not in values
    with pytest.raises(judge.StudentCodeError):
        values["f"]("not a number", "extra")
    outcome = judge.run_test("assert answer == 5", {}, session, frozenset({"answer"}))
    assert outcome.status == "failed"


def test_submission_file_is_read_even_when_copied_in_a_notebook_folder(tmp_path):
    notebook = nbformat.read(exercise_path(ASSIGNMENT), as_version=4)
    assert grader.read_notebook(exercise_path(ASSIGNMENT)).cells[0].source == notebook.cells[0].source


def test_pages_forked_children_share_count_once_towards_the_memory_limit(kernel):
    """Forked workers share their parent's pages until they write: four processes holding one 400 MB block use
    about 400 MB, not 1.6 GB (the sum of their VmRSS), so a submission that uses multiprocessing is not killed."""
    ran = kernel.execute("import os, time\nblock = b'x' * (400 * 1024**2)\nchildren = []\nfor _ in range(3):\n"
                         "    pid = os.fork()\n    if pid == 0:\n        time.sleep(20)\n        os._exit(0)\n"
                         "    children.append(pid)")
    assert ran.status == "ok", (ran.ename, ran.evalue)
    try:
        used = kernel.resident_bytes()
        assert 400 * 1024**2 <= used < 800 * 1024**2, used / 1024**2
    finally:
        kernel.execute("import signal\nfor pid in children:\n    os.kill(pid, signal.SIGKILL)\n    os.waitpid(pid, 0)")
