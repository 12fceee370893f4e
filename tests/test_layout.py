"""The library's layout: one package per idea, no import circles, small modules, docstrings that point at real files.

Imports are read with ``ast`` from every module, including imports inside functions
(a circle hidden in a function is still a circle: it only fails later, at call time).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ragfirst.runtime.config import REPO_ROOT

PACKAGE = REPO_ROOT / "ragfirst"
MAX_LINES = 400
# Modules above MAX_LINES whose job is one all the same, with the reason.
LONG_ON_PURPOSE: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str) -> set[str]:
    """The ragfirst modules ``name`` imports anywhere in its file (``from pkg import module`` counts as the module)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module in MODULES and module != name}


def graph() -> dict[str, set[str]]:
    return {name: imported_modules(name) for name in MODULES}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules (first == last), or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_sees_a_circle_and_its_absence():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_imports_inside_functions_are_read():
    edges = graph()
    assert "ragfirst.llm.local_server" in edges["ragfirst.service.app"]
    assert "ragfirst.rag.embed" in edges["ragfirst.hybrid.intent"]  # imported inside a function


def test_no_import_circles():
    edges = graph()
    # a package imports nothing of its own, so edges into "ragfirst.x" (the package) are only via __init__
    cycle = find_cycle(edges)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_modules_are_small_or_have_one_job():
    long = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    long = {name: lines for name, lines in long.items() if lines > MAX_LINES and name not in LONG_ON_PURPOSE}
    assert not long, f"split these modules by job (or say in LONG_ON_PURPOSE why one job needs the length): {long}"
    stale = [name for name in LONG_ON_PURPOSE if name not in MODULES]
    assert not stale, stale


def test_every_package_has_a_docstring_and_a_line_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    packages = sorted(name for name, path in MODULES.items() if path.name == "__init__.py" and name != "ragfirst")
    assert packages
    for package in packages:
        assert ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8"))), f"{package} has no docstring"
        folder = package.split(".")[1] + "/"
        assert f"| `{folder}` |" in readme, f"README's library table has no row for {folder}"


def test_every_package_docstring_names_each_of_its_modules():
    for name, path in MODULES.items():
        if path.name != "__init__.py" or name == "ragfirst":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        missing = [p.stem for p in path.parent.glob("*.py") if p.stem != "__init__" and f"``{p.stem}``" not in doc
                   and not (p.stem.endswith("_charts") and "``*_charts``" in doc)]
        assert not missing, f"{name}'s docstring does not list {missing}"


REPO_PATH = re.compile(r"(?<![A-Za-z0-9_./-])((?:data|docs|notebooks|ragfirst|tests|benchmarks|scripts|solutions|exercises|book)"
                       r"/[A-Za-z0-9_./-]*\.(?:py|md|csv|jsonl|json|yaml|yml|txt|svg|ipynb|sh))\b")
ROOT_FILE = re.compile(r"(?<![A-Za-z0-9_./-])([A-Z][A-Za-z_-]*\.md)\b")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_docstrings_and_comments_point_only_at_files_that_exist(name):
    text = MODULES[name].read_text(encoding="utf-8")
    cited = {m.group(1) for m in REPO_PATH.finditer(text)} | {m.group(1) for m in ROOT_FILE.finditer(text)}
    missing = sorted(path for path in cited if not (REPO_ROOT / path).exists())
    assert not missing, f"{name} cites files the repository does not have: {missing}"


def test_no_module_registers_an_exit_hook_when_imported():
    """atexit.register may run when a process starts something it must stop, never at import."""
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    offenders = []
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            # code inside a function or class body runs when called; its decorators run at import
            at_import = getattr(node, "decorator_list", []) if isinstance(node, definitions) else list(ast.walk(node))
            if any("atexit.register" in ast.unparse(part) for part in at_import if isinstance(part, ast.expr)):
                offenders.append(name)
    assert not offenders, offenders


def test_one_reader_of_the_price_table():
    """data/prices.csv is parsed in one place (runtime.sourced); everything else asks it."""
    readers = [name for name, path in MODULES.items() if '"prices.csv"' in path.read_text(encoding="utf-8")]
    assert readers == ["ragfirst.runtime.sourced"], readers
