"""The hostile submission suite: broken and malicious notebooks for the decision_scenarios assignment.

Built from the committed exercise, so it always matches the current master.
Each entry says what the grader must conclude. Exploit notebooks are written so
that they earn points *only if the exploit works*: a sandbox hole shows up as a
score above the expected one.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from ragfirst.grading.master import exercise_path, master_path

ASSIGNMENT = "decision_scenarios"
RIGHT = {
    "scenario1_answer": "scenario_1_choice = 5",
    "scenario2_answer": (
        "scenario_2_flowchart = {'simple_prompt_sufficient': False, 'needs_external_knowledge': True,\n"
        "    'needs_realtime_tools': False, 'needs_specialized_behavior': False, 'data_available': 1200, 'budget': 200}\n"
        "scenario_2_choice = 2"
    ),
}
# Answers the course's reasoning defends besides the master's, each worth every point (docs/instructor.md).
ALTERNATIVES = {
    "rag_first": {**RIGHT, "scenario1_answer": "scenario_1_choice = 2"},  # RAG first, fine-tune after measuring
    "guide_documents": {**RIGHT, "scenario2_answer": RIGHT["scenario2_answer"].replace("1200", "30")},  # the 30 guides
}
WRONG = {
    "scenario1_answer": "scenario_1_choice = 1",
    "scenario2_answer": (
        "scenario_2_flowchart = {'simple_prompt_sufficient': True, 'needs_external_knowledge': False,\n"
        "    'needs_realtime_tools': False, 'needs_specialized_behavior': False, 'data_available': 1500, 'budget': 3000000}\n"
        "scenario_2_choice = 4"
    ),
}
FULL, S1 = 6.0, 2.0  # all autograded points; scenario 1 only


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def _exercise():
    return nbformat.read(exercise_path(ASSIGNMENT), as_version=4)


def notebook_with(answers: dict[str, str], extra_cells: list[str] = (), drop: tuple[str, ...] = (),
                  edit: dict[str, str] | None = None, before: str = ""):
    """The exercise with answer cells replaced, test cells dropped/edited and student cells appended.

    ``before``: a student cell inserted right after the setup cell (runs before everything else).
    """
    notebook = _exercise()
    cells = []
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id in drop:
            continue
        if grade_id in answers:
            cell.source = answers[grade_id]
        if edit and grade_id in edit:
            cell.source = edit[grade_id]
        cells.append(cell)
        if grade_id == "setup" and before:
            cells.append(nbformat.v4.new_code_cell(before))
    cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    notebook.cells = cells
    return notebook


def build_suite(folder: Path, nested: Path | None = None) -> dict[str, dict]:
    """Write the suite into ``folder``; returns {student_id: expectation}.

    ``nested``: a folder that is a mount nested inside a read-only path of the sandbox (made by the
    caller, which needs root for it); a submission then tries to write into it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, dict] = {}

    def put(student: str, notebook, status: str, points: float, note: str = "") -> None:
        nbformat.write(notebook, folder / f"{student}.ipynb")
        expect[student] = {"status": status, "points": points, "note": note}

    master_file = master_path(ASSIGNMENT)
    other_submission = folder / "honest.ipynb"

    put("solution", nbformat.read(master_file, as_version=4), "graded", FULL)
    put("blank", _exercise(), "graded", 0.0)
    put("honest", notebook_with(RIGHT), "graded", FULL)
    for student, answers in ALTERNATIVES.items():
        put(student, notebook_with(answers), "graded", FULL)
    put("partial", notebook_with({**WRONG, "scenario1_answer": RIGHT["scenario1_answer"]}), "graded", S1)
    put("deleted_tests", notebook_with(RIGHT, drop=("scenario1_choice_test", "scenario2_flowchart_test",
                                                    "scenario2_choice_test")), "graded", FULL, "restored deleted cells")
    forged = notebook_with(WRONG, edit={"scenario1_choice_test": "pass", "scenario2_choice_test": "assert True"})
    for cell in forged.cells:
        if _grade_id(cell) == "scenario2_flowchart_test":
            cell.metadata["nbgrader"]["points"] = 100
    bonus = nbformat.v4.new_code_cell("assert True")
    bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 100, "solution": False, "locked": True}
    forged.cells.append(bonus)
    put("edited_tests", forged, "graded", 0.0, "restored edited cells")
    put("exception", notebook_with({**RIGHT, "scenario2_answer": "raise ValueError('boom')"}), "graded", S1, "ValueError")
    put("infinite_loop", notebook_with(RIGHT, extra_cells=["while True:\n    pass"]), "timeout", FULL)
    put("ignores_interrupt", notebook_with(RIGHT, extra_cells=[
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)"]),
        "timeout", 0.0)
    put("memory_hog", notebook_with(RIGHT, extra_cells=[
        "import numpy as np\nchunks = []\nwhile True:\n    chunks.append(np.empty(256 * 1024**2, dtype=np.uint8))"]),
        "graded", FULL, "MemoryError")  # np.empty reserves without touching pages: hits RLIMIT_AS fast
    put("memory_children", notebook_with(RIGHT, extra_cells=[  # each child under RLIMIT_AS, all together over
        "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        block = b'x' * (700 * 1024**2)\n"
        "        time.sleep(60)\n        os._exit(0)\nfor _ in range(3):\n    os.wait()"]),
        "kernel_died", 0.0, "of memory in all")
    put("sys_exit", notebook_with(RIGHT, extra_cells=["import sys\nsys.exit(0)"]), "graded", FULL)
    put("os_exit", notebook_with(RIGHT, extra_cells=["import os\nos._exit(0)"]), "kernel_died", 0.0)
    put("kernel_crash", notebook_with(RIGHT, extra_cells=["import ctypes\nctypes.string_at(0)"]), "kernel_died", 0.0)
    put("output_flood", notebook_with(RIGHT, extra_cells=["while True:\n    print('x' * 100_000)"]),
        "output_limit", 0.0, "printed over")  # counted in the kernel before buffering: the same on every machine
    # Exploits: the right answer only if the exploit worked.
    put("network", notebook_with({**WRONG, "scenario1_answer": (
        "import _socket\ntry:\n    s = _socket.socket()\n    s.settimeout(3)\n    s.connect(('1.1.1.1', 80))\n"
        "    reached = True\nexcept OSError:\n    reached = False\nscenario_1_choice = 5 if reached else 1")}),
        "graded", 0.0)
    put("read_files", notebook_with({**WRONG, "scenario1_answer": (
        "import os\nstolen = []\n"
        f"for path in [{str(master_file)!r}, {str(master_file.parent.parent)!r}, {str(other_submission)!r}, {str(folder)!r}]:\n"
        "    try:\n        stolen.append(open(path).read()[:10] if os.path.isfile(path) else os.listdir(path))\n"
        "    except OSError:\n        pass\n"
        "scenario_1_choice = 5 if stolen else 1")}), "graded", 0.0)
    put("write_escape", notebook_with({**WRONG, "scenario1_answer": (
        "wrote = 0\n"
        f"for path in [{str(master_file.parent / 'pwned.txt')!r}, {str(folder / 'pwned.txt')!r}]:\n"
        "    try:\n        open(path, 'w').write('x')\n        wrote += 1\n    except OSError:\n        pass\n"
        "scenario_1_choice = 5 if wrote else 1")}), "graded", 0.0)
    put("tamper_helpers", notebook_with(WRONG, before=(
        "import builtins, sys, json\n"
        "ip = get_ipython()\n"
        "ip.showtraceback = lambda *a, **k: None          # nbgrader #1324\n"
        "builtins.AssertionError = type('Quiet', (Exception,), {})\n"
        "decide = lambda project: type('D', (), {'choice_number': 4})()  # patch the test helper\n"
        "sys.addaudithook(lambda event, args: open('/tmp/leak', 'a').write(str(args)[:200]) if event == 'compile' else None)\n"
        "ip.input_transformers_post.append(lambda lines: ['pass\\n'])  # every later cell becomes 'pass'\n"
    )), "graded", 0.0)
    put("read_shadow", notebook_with({**WRONG, "scenario1_answer": (
        "try:\n    stolen = open('/etc/shadow').read()\nexcept OSError:\n    stolen = ''\n"
        "scenario_1_choice = 5 if stolen else 1")}), "graded", 0.0)
    put("proc_sys_write", notebook_with({**WRONG, "scenario1_answer": (  # opened for writing, nothing written
        "import os\ntry:\n    os.close(os.open('/proc/sys/kernel/core_pattern', os.O_WRONLY))\n    opened = True\n"
        "except OSError:\n    opened = False\nscenario_1_choice = 5 if opened else 1")}), "graded", 0.0)
    put("answer_key", notebook_with({**WRONG, "scenario1_answer": (
        "import os\nfrom ragfirst.runtime.config import ANSWER_KEYS_DIR\nfrom ragfirst.economics.decide import scenario\n"
        "keys = os.path.exists(ANSWER_KEYS_DIR / 'scenario_answers.yaml')\n"
        "scenario_1_choice = 5 if keys else scenario('tax_review').get('answer_key', {}).get('accept', [1])[0]")}),
        "graded", 0.0)
    put("fork_children", notebook_with({**WRONG, "scenario1_answer": (
        "import os, time\nforked = 0\nfor _ in range(20):\n    try:\n        pid = os.fork()\n    except OSError:\n"
        "        break\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    forked += 1\n"
        "scenario_1_choice = 5 if forked == 20 else 1")}), "graded", 0.0)
    put("fill_scratch", notebook_with({**WRONG, "scenario1_answer": (  # more than the 64 MB of scratch in all
        "import os\nwritten, block = 0, b'x' * 1024**2\n"
        "for folder in ['/tmp', '/home/student', '/dev/shm', '/comm']:\n    for n in range(12):\n        try:\n"
        "            with open(f'{folder}/fill{n}', 'wb') as f:\n                for _ in range(8):\n"
        "                    f.write(block)\n                    f.flush()\n                    written += len(block)\n"
        "        except OSError:\n            break\n"
        "scenario_1_choice = 5 if written > 80 * 1024**2 else 1")}), "graded", 0.0)
    if nested is not None:
        put("nested_mount_write", notebook_with({**WRONG, "scenario1_answer": (
            f"try:\n    open({str(nested / 'pwned.txt')!r}, 'w').write('pwned')\n    wrote = True\n"
            "except OSError:\n    wrote = False\nscenario_1_choice = 5 if wrote else 1")}), "graded", 0.0)
    # Not notebooks at all.
    (folder / "empty.ipynb").write_bytes(b"")
    expect["empty"] = {"status": "invalid_notebook", "points": 0.0, "note": "empty"}
    (folder / "invalid_json.ipynb").write_text('{"cells": [', encoding="utf-8")
    expect["invalid_json"] = {"status": "invalid_notebook", "points": 0.0, "note": "JSON"}
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n\xff\xd8\xff\x00binary")
    expect["report"] = {"status": "invalid_notebook", "points": 0.0, "note": "not a text file"}
    (folder / "not_a_notebook.ipynb").write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    expect["not_a_notebook"] = {"status": "invalid_notebook", "points": 0.0, "note": "no cell list"}
    # LMS folder layout: one folder per student.
    (folder / "dana").mkdir()
    nbformat.write(notebook_with(RIGHT), folder / "dana" / "decision_scenarios.ipynb")
    expect["dana"] = {"status": "graded", "points": FULL, "note": ""}
    (folder / "erin").mkdir()
    (folder / "erin" / "notes.txt").write_text("forgot the notebook", encoding="utf-8")
    expect["erin"] = {"status": "missing", "points": 0.0, "note": "no .ipynb"}
    return expect
