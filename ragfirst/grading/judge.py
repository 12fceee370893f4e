"""Run test cells in the grader, against answers fetched from the student's kernel as data.

Why not send the tests to the kernel, as nbgrader does: code the student ran
earlier in that kernel can see and rewrite anything executed after it (redefine
``assert`` through an AST transformer, disable ``showtraceback`` so errors look
like passes (nbgrader #1324), hook ``sys.addaudithook`` to log hidden tests).
So test code never enters the kernel. The judge executes it here, in a fresh
namespace, where the names the master's answer cells define are filled from the
kernel:

* a value that converts to JSON arrives as plain data (str, int, float, bool,
  None, list, dict): no student object, no ``__eq__`` trick, crosses over;
* a function becomes a proxy: calling it sends the JSON arguments to the kernel,
  runs the student's function there (with the cell timeout) and brings the JSON
  result back. The student's code sees the inputs, never the test code or the
  expected values;
* anything else is an opaque placeholder that fails when a test touches it.

Pass or fail is whether the test code raised here, in the grader's process.
Lying in the kernel (patching the probe) only changes the student's own answers.
"""

from __future__ import annotations

import ast
import builtins
import json
import time
from dataclasses import dataclass
from typing import Any

from ragfirst.grading.sandbox import ExecResult, SandboxedKernel

MAX_REPLY_CHARS = 2_000_000

# Runs inside the student's kernel. Self-contained: it relies on nothing the student defined.
PROBE_SOURCE = r'''
def _ragfirst_probe(namespace, request):
    import json as _json

    def plain(value, depth=0):
        if depth > 50:
            raise ValueError("nested too deeply")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (list, tuple)):
            return [plain(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v, depth + 1) for k, v in value.items()}
        if type(value).__module__ == "numpy":
            return plain(value.tolist(), depth + 1)
        raise TypeError(f"{type(value).__name__} is not plain data")

    request = _json.loads(request)
    if request["op"] == "resolve":
        found = {}
        for name in request["names"]:
            if name not in namespace:
                continue
            value = namespace[name]
            if callable(value) and not isinstance(value, type):
                found[name] = {"kind": "callable"}
                continue
            try:
                found[name] = {"kind": "data", "value": plain(value)}
            except Exception as error:
                found[name] = {"kind": "other", "type": type(value).__name__, "why": str(error)[:200]}
        return _json.dumps(found, allow_nan=True)
    function = namespace.get(request["name"])
    if not callable(function):
        return _json.dumps({"ok": False, "error": "NameError: " + request["name"] + " is not defined"})
    try:
        value = function(*request["args"], **request["kwargs"])
    except BaseException as error:
        return _json.dumps({"ok": False, "error": (type(error).__name__ + ": " + str(error))[:500]})
    try:
        return _json.dumps({"ok": True, "value": plain(value)}, allow_nan=True)
    except Exception as error:
        return _json.dumps({"ok": False, "error": "the function returned " + type(value).__name__ + ", not plain data (" + str(error)[:200] + ")"})
'''


class StudentCodeError(Exception):
    """The student's code raised, or could not be reached; the test using it fails."""


class StudentTimeout(StudentCodeError):
    """The student's function did not return within the cell timeout."""


class KernelGone(StudentCodeError):
    """The student's kernel is dead (crash, os._exit, memory, killed after a timeout)."""


class OpaqueStudentValue:
    """Placeholder for a student object that is not plain data (a DataFrame, a class instance...)."""

    def __init__(self, name: str, type_name: str):
        self._description = f"'{name}' is a {type_name}, not plain data (str, number, bool, list, dict)"

    def __getattr__(self, attribute: str) -> Any:
        raise StudentCodeError(self._description)

    def __repr__(self) -> str:
        return f"<{self._description}>"


class StudentFunction:
    """Calls the student's function in the sandboxed kernel with JSON arguments."""

    def __init__(self, session: "StudentSession", name: str):
        self._session, self.__name__ = session, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self.__name__, list(args), kwargs)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


class StudentSession:
    """The judge's view of one student kernel."""

    def __init__(self, kernel: SandboxedKernel, timeout: float, deadline: float | None = None):
        """``timeout`` bounds one call; ``deadline`` (time.monotonic) ends every call: the submission's limit."""
        self.kernel, self.timeout, self.deadline = kernel, timeout, deadline

    def time_left(self) -> float:
        """Seconds the next call may take: the call timeout, or less when the submission's time runs out."""
        if self.deadline is None:
            return self.timeout
        return min(self.timeout, self.deadline - time.monotonic())

    def _ask(self, request: dict) -> Any:
        timeout = self.time_left()
        if timeout <= 0:
            raise StudentTimeout("not run: the submission's time limit was reached")
        code = PROBE_SOURCE + f"\n_ragfirst_reply = _ragfirst_probe(globals(), {json.dumps(request)!r})\ndel _ragfirst_probe\n"
        result: ExecResult = self.kernel.execute(code, timeout=timeout, silent=True,
                                                 user_expressions={"reply": "_ragfirst_reply"})
        if result.status == "timeout":
            raise StudentTimeout(f"timed out after {timeout:g} s")
        if result.status in ("dead", "output_limit", "memory_limit") or not self.kernel.alive():
            raise KernelGone("the notebook's kernel is not running (crashed or stopped)")
        reply = result.user_expressions.get("reply", {})
        text = reply.get("data", {}).get("text/plain") if reply.get("status") == "ok" else None
        if not isinstance(text, str) or len(text) > MAX_REPLY_CHARS:
            raise StudentCodeError("no usable answer from the notebook's kernel")
        try:
            return json.loads(ast.literal_eval(text))
        except (ValueError, SyntaxError, RecursionError, TypeError, MemoryError):
            raise StudentCodeError("no usable answer from the notebook's kernel") from None

    def resolve(self, names: list[str]) -> dict[str, Any]:
        found = self._ask({"op": "resolve", "names": sorted(names)})
        if not isinstance(found, dict):
            raise StudentCodeError("no usable answer from the notebook's kernel")
        values: dict[str, Any] = {}
        for name, entry in found.items():
            if name not in names or not isinstance(entry, dict):
                continue
            kind = entry.get("kind")
            if kind == "data":
                values[name] = entry.get("value")
            elif kind == "callable":
                values[name] = StudentFunction(self, name)
            else:
                values[name] = OpaqueStudentValue(name, str(entry.get("type", "object")))
        return values

    def call(self, name: str, args: list, kwargs: dict) -> Any:
        try:
            request = json.dumps({"op": "call", "name": name, "args": args, "kwargs": kwargs})
        except TypeError as error:  # the instructor's test passed something that is not JSON
            raise TypeError(f"grader: arguments for {name}() must be JSON data: {error}") from None
        reply = self._ask(json.loads(request))
        if not isinstance(reply, dict) or "ok" not in reply:
            raise StudentCodeError("no usable answer from the notebook's kernel")
        if not reply["ok"]:
            raise StudentCodeError(f"{name}() raised {reply.get('error', 'an error')}")
        return reply.get("value")


@dataclass(frozen=True)
class Outcome:
    """Result of one test run in the judge. ``message`` is only shown for visible tests."""

    passed: bool
    status: str  # passed | failed | error | timeout | kernel_died
    message: str = ""


def names_used(source: str) -> set[str]:
    """Every global name the code (and the functions it defines) may read."""
    found: set[str] = set()
    try:
        stack = [compile(source, "<test>", "exec")]
    except SyntaxError:
        return found
    while stack:
        code = stack.pop()
        found.update(code.co_names)
        stack.extend(const for const in code.co_consts if hasattr(const, "co_names"))
    return found


def run_test(source: str, namespace: dict, session: StudentSession, student_names: frozenset[str]) -> Outcome:
    """Execute test ``source`` in ``namespace`` with fresh student answers; never raises."""
    wanted = sorted((names_used(source) & student_names) - set(dir(builtins)))
    try:
        for name in wanted:
            namespace.pop(name, None)
        if wanted:
            namespace.update(session.resolve(wanted))
        exec(compile(source, "<test>", "exec"), namespace)  # noqa: S102 - instructor's test code
    except StudentTimeout as error:
        return Outcome(False, "timeout", str(error))
    except KernelGone as error:
        return Outcome(False, "kernel_died", str(error))
    except AssertionError as error:
        return Outcome(False, "failed", str(error) or "assertion failed")
    except Exception as error:  # noqa: BLE001 - any other exception fails the test
        return Outcome(False, "error", f"{type(error).__name__}: {error}")
    return Outcome(True, "passed")
