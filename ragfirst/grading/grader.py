"""Grade a folder of submissions: restore, run sandboxed, judge, write gradebook and feedback.

One submission, in order:

1. read the file (never written): not a notebook -> ``invalid_notebook`` row;
2. build the plan against the master (:mod:`restore`): tests and read-only
   cells come from the master, deleted ones are put back;
3. phase A: run the student's and the read-only code cells in a fresh
   sandboxed kernel, one cell at a time with a timeout; at each test cell the
   judge runs the *visible* part of the test in the grader (feedback messages);
4. phase B: after the last cell, the judge runs every complete test cell
   (visible and hidden part) against the final state. Only pass/fail leaves
   phase B, so nothing of the hidden tests or their inputs reaches a message;
5. the kernel and its namespaces are destroyed; the row gets points and a status.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

import nbformat

from ragfirst.grading import feedback, gradebook
from ragfirst.grading.jail import SandboxUnavailable, sandbox_problem
from ragfirst.grading.judge import Outcome, StudentSession, names_used, run_test
from ragfirst.grading.limits import Limits
from ragfirst.grading.master import Master, MasterCell, load_master
from ragfirst.grading.restore import Plan, build_plan
from ragfirst.grading.result import CellReport, SubmissionResult
from ragfirst.grading.sandbox import SandboxedKernel
from ragfirst.grading.submissions import MAX_NOTEBOOK_BYTES, Submission, find_submissions


class GraderError(RuntimeError):
    """The grading run cannot start (bad master, no sandbox, bad folders); the message says why."""


def read_notebook(path: Path):
    """Parse a submitted file; ValueError with a reason when it is not a usable notebook."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("the file is empty")
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the file is {size / 1024**2:.0f} MB, over the {MAX_NOTEBOOK_BYTES // 1024**2} MB limit")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise ValueError(f"'{path.name}' is not a text file (a notebook is JSON); was the right file uploaded?") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"'{path.name}' is not valid notebook JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise ValueError(f"'{path.name}' is JSON but not a Jupyter notebook (no cell list)")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many kinds
        raise ValueError(f"'{path.name}' is not a readable notebook: {type(error).__name__}: {error}") from None
    for number, cell in enumerate(notebook.cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"'{path.name}': cell {number} is malformed")
    return notebook


def _exec_instructor(cell: MasterCell, namespace: dict, session: StudentSession | None = None,
                     student_names: frozenset[str] = frozenset()) -> None:
    """Read-only (instructor) code runs in the judge too, so tests see the given data.

    A read-only cell that uses the student's answers (``x = student_function(CASE)``) runs like a
    test: answers fetched as data; if the student's code fails, the names it defines stay unset and
    the tests that need them fail.
    """
    if session is not None and names_used(cell.source) & student_names:
        run_test(cell.source, namespace, session, student_names)
    elif not names_used(cell.source) & student_names:
        exec(compile(cell.source, f"<{cell.grade_id}>", "exec"), namespace)  # noqa: S102 - master's code


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def grade_submission(master: Master, submission: Submission, limits: Limits = Limits(),
                     scratch: Path | None = None) -> SubmissionResult:
    """Grade one submission; always returns a result (never raises for anything the student did).

    ``limits`` are raised to what the master says the assignment needs (:attr:`Master.limits`).
    """
    started = time.monotonic()
    limits = limits.at_least(master.limits)
    result = SubmissionResult(submission.student_id, "graded")
    if submission.path is None:
        result.status, result.message = "missing", submission.problem
        return result
    try:
        notebook = read_notebook(submission.path)
    except (ValueError, OSError) as error:
        result.status, result.message = "invalid_notebook", str(error)
        return result
    plan = build_plan(master, notebook)
    result.notes += plan.notes()
    result.answers = {cell.grade_id: plan.answers.get(cell.grade_id, "") for cell in master.manual}
    workdir = Path(tempfile.mkdtemp(prefix="rfg-", dir=scratch))
    try:
        with SandboxedKernel(workdir, limits) as kernel:
            _grade_in_kernel(master, plan, kernel, limits, result, started)
    except SandboxUnavailable as error:
        result.status, result.message = "sandbox_error", str(error)
        return result
    except RuntimeError as error:
        result.status = "sandbox_error"
        result.notes.append(_short(error, 500))
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop the run
        result.status = "grader_error"
        result.notes.append(f"{type(error).__name__}: {_short(error)}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    result.message = "; ".join(result.notes)
    return result


def _grade_in_kernel(master: Master, plan: Plan, kernel: SandboxedKernel, limits: Limits,
                     result: SubmissionResult, started: float) -> None:
    deadline = started + limits.submission_timeout  # for every phase: the student's cells and the tests
    session = StudentSession(kernel, limits.cell_timeout, deadline)
    visible: dict[str, Outcome] = {}
    namespace: dict = {"__name__": "__grader__"}
    problems = {"timeout": False, "output_limit": False, "kernel_died": False}
    first_error = ""
    for number, cell in enumerate(plan.cells, start=1):
        if time.monotonic() - started > limits.submission_timeout:
            problems["timeout"] = True
            result.notes.append(f"stopped at cell {number}: over the {limits.submission_timeout:g} s limit per submission")
            break
        if cell.kind == "test":
            if kernel.alive():
                visible[cell.master.grade_id] = run_test(cell.master.visible_source, namespace, session,
                                                         master.student_names)
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.kind == "readonly":
            _exec_instructor(cell.master, namespace, session, master.student_names)
        if not kernel.alive():
            break
        limit = limits.instructor_timeout if cell.kind == "readonly" else limits.cell_timeout
        ran = kernel.execute(cell.source, timeout=max(0.1, min(limit, deadline - time.monotonic())))
        label = f"cell {number}" + (f" ({cell.master.grade_id})" if cell.master else "")
        if ran.status == "error" and not first_error:
            first_error = f"{label}: {ran.ename}: {_short(ran.evalue, 200)}"
        elif ran.status == "timeout":
            problems["timeout"] = True
            result.notes.append(f"{label}: interrupted after {ran.seconds:.0f} s (time limit)")
        elif ran.status == "output_limit":
            problems["output_limit"] = True
            result.notes.append(f"{label}: printed over {limits.flood_bytes // 1024**2} MB; the kernel was stopped, later tests score 0")
        elif ran.status == "memory_limit":
            problems["kernel_died"] = True
            result.notes.append(f"{label}: used over {limits.memory_bytes // 1024**2} MB of memory in all; "
                                "the kernel was stopped, later tests score 0")
            break
        elif ran.status == "dead":
            problems["kernel_died"] = True
            result.notes.append(f"{label}: the kernel died (crash, os._exit, or memory); later tests score 0")
            break
    if first_error:
        result.notes.append(f"first error: {first_error}")
    if not kernel.alive() and not any(problems.values()):
        problems["kernel_died"] = True
        result.notes.append("the kernel was stopped; later tests score 0")

    # phase B: complete tests, final state. SUBMISSION_ID is the id from the file name, never the notebook's own
    # claim: hidden tests derive per-student cases from it (ragfirst.grading.variants).
    hidden_namespace: dict = {"__name__": "__grader__", "SUBMISSION_ID": result.student_id}
    over_time = False
    for cell in master.cells:
        if cell.kind == "readonly" and cell.cell_type == "code":
            _exec_instructor(cell, hidden_namespace, session, master.student_names)
        elif cell.kind == "test":
            outcome = run_test(cell.source, hidden_namespace, session, master.student_names)
            result.points[cell.grade_id] = cell.points if outcome.passed else 0.0
            if outcome.status == "timeout" and time.monotonic() >= deadline and not over_time:
                over_time = problems["timeout"] = True
                result.notes.append(f"tests stopped at {cell.grade_id}: over the {limits.submission_timeout:g} s "
                                    "limit per submission; this and later tests score 0")
            elif outcome.status == "timeout" and not problems["timeout"]:
                problems["timeout"] = True  # only the fact is reported: no test code, no inputs
                result.notes.append(f"{cell.grade_id}: a call to the notebook's code ran over {limits.cell_timeout:g} s")
            seen = visible.get(cell.grade_id, Outcome(False, "not_run", "not run: the notebook stopped before this test"))
            result.tests.append(CellReport(
                cell.grade_id, result.points[cell.grade_id], cell.points, seen.status, _short(seen.message, 500),
                outcome.passed if cell.has_hidden else None,
            ))
    for status in ("timeout", "output_limit", "kernel_died"):  # the cause first: a timeout may end in a kill
        if problems[status]:
            result.status = status
            break


def _check_folders(submissions: Path, out_dir: Path) -> None:
    submissions, out_dir = Path(submissions).resolve(), Path(out_dir).resolve()
    if submissions.is_dir() and (out_dir == submissions or submissions in out_dir.parents):
        raise GraderError(f"--out {out_dir} is inside the submissions folder {submissions}; choose a folder outside it")


def grade_assignment(assignment: str, submissions: Path, out_dir: Path, limits: Limits = Limits(),
                     workers: int = 2, progress: bool = True) -> list[SubmissionResult]:
    """Grade every submission in ``submissions``; write gradebook.csv, feedback/ and manual/ under ``out_dir``."""
    _check_folders(submissions, out_dir)
    master = load_master(assignment)
    problem = sandbox_problem()
    if problem:
        raise GraderError(f"cannot sandbox student code on this machine: {problem}")
    found = find_submissions(Path(submissions), master.path.name)
    _warm_judge(master)
    results: list[SubmissionResult] = []
    scratch = Path(tempfile.mkdtemp(prefix="rfgrade-"))
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(grade_submission, master, s, limits, scratch) for s in found]
            bar = _progress(len(futures), progress)
            for future in as_completed(futures):
                results.append(future.result())
                bar.update(1)
            bar.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out_dir = Path(out_dir)
    gradebook.write_gradebook(out_dir / "gradebook.csv", master, results)
    feedback.write_feedback(out_dir / "feedback", master, results)
    feedback.write_manual_answers(out_dir / "manual", master, results)
    return sorted(results, key=lambda r: r.student_id)


def _warm_judge(master: Master) -> None:
    """Run the master's read-only cells once here: imports happen before threads start, and a
    broken master fails loudly instead of as a grader_error in every row."""
    namespace: dict = {"__name__": "__grader__"}
    for cell in master.cells:
        if cell.kind == "readonly" and cell.cell_type == "code":
            try:
                _exec_instructor(cell, namespace, None, master.student_names)
            except Exception as error:  # noqa: BLE001
                raise GraderError(f"{master.path.name}: read-only cell '{cell.grade_id}' fails in the grader: "
                                  f"{type(error).__name__}: {error}") from error


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="grading", unit="notebook", disable=not enabled)


def format_table(results: list[SubmissionResult], master: Master) -> str:
    """A terminal summary: one line per submission."""
    width = max([len(r.student_id) for r in results] + [10])
    lines = [f"{'student_id':<{width}}  {'points':>9}  {'status':<16}  message"]
    for r in results:
        lines.append(f"{r.student_id:<{width}}  {r.total:>4g}/{master.auto_max:<4g}  {r.status:<16}  {_short(r.message, 90)}")
    return "\n".join(lines)


def run_cli(args) -> int:
    """``ragfirst grade ASSIGNMENT SUBMISSIONS --out OUT``."""
    limits = Limits()  # the one place for the defaults; the CLI only overrides what was given
    if args.cell_timeout is not None:
        limits = replace(limits, cell_timeout=args.cell_timeout)
    if args.memory_mb is not None:
        limits = replace(limits, memory_bytes=int(args.memory_mb) * 1024**2)
    results = grade_assignment(args.assignment, Path(args.submissions), Path(args.out), limits,
                               workers=args.workers, progress=True)  # a GraderError is a RuntimeError: the CLI prints it
    master = load_master(args.assignment)
    print(format_table(results, master))
    print(f"\ngradebook: {Path(args.out) / 'gradebook.csv'}\nfeedback:  {Path(args.out) / 'feedback'}/")
    return 0
