"""Re-run notebooks in place, in the same environment as the tests (`make execute`).

With no arguments: every notebook in notebooks/ and solutions/. Each kernel runs
offline (RAGFIRST_OFFLINE=1), without the learner's keys, from the notebook's folder,
exactly as nbval will run it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from ragfirst.runtime import config

REPO = Path(__file__).resolve().parent.parent


def course_notebooks() -> list[Path]:
    found = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "solutions").rglob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def execute(path: Path, timeout: int = 900) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3",
        coalesce_streams=True,  # one output per stream, each line at its last frame: progress bars stored finished
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)
    return time.monotonic() - started


def main(argv: list[str]) -> int:
    config.apply_test_environment()
    paths = [Path(a).resolve() for a in argv] or course_notebooks()
    for path in paths:
        print(f"executing {path.relative_to(REPO)} ...", flush=True)
        print(f"  done in {execute(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
