"""Run untrusted notebook code in a Jupyter kernel locked in Linux namespaces.

Why this shape: nbgrader executes student code in an ordinary kernel with the
grader's rights. Here each submission gets its own kernel started by
``unshare`` (util-linux, no root and no Docker needed) in new mount, network,
PID, IPC and UTS namespaces (plus a user namespace when the grader is an
ordinary user):

* identity: an ordinary user's kernel is that user without capabilities; a
  root grader's kernel runs as a dedicated unprivileged uid (:mod:`jail`);
* file system: a fresh read-only root (``pivot_root``, the host tree
  unmounted) with only the OS, a few files of ``/etc``, the Python runtime, the
  venv, ``ragfirst/`` and ``data/`` (without its answer keys), all read-only
  recursively; ``/home/student``, ``/tmp`` and ``/dev/shm`` share one
  size-limited tmpfs that vanishes with the kernel. Hidden tests, solutions,
  other submissions and the grader's output are simply not there;
* no network: the new network namespace has no interface up, not even loopback;
  the grader talks to the kernel over Unix sockets (jupyter's ``ipc``
  transport) in ``/comm``, a tiny tmpfs it reaches through ``/proc/<pid>/root``;
* no privileges: ``setpriv`` drops every capability and sets no_new_privs, so
  the mounts cannot be changed back;
* limits (``prlimit`` inside, not ``preexec_fn``: the grader runs threads):
  RLIMIT_AS (memory per process), RLIMIT_NPROC (processes and threads),
  RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE; output capped in the kernel
  (:mod:`outcap`); a timeout per cell and per submission enforced by the grader
  (interrupt, then kill). Total memory: while a cell runs the grader sums the
  resident memory of every process in the sandbox (from /proc, every 0.2 s) and
  ends the kernel over the limit; no cgroup is used (cgroup v2 with memory and
  pids controllers is not available on many graders, these machines included);
* teardown: the kernel is PID 1 of its PID namespace, so killing it ends every
  process the student started.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragfirst.grading import jail
from ragfirst.grading.jail import INSIDE_COMM, INSIDE_HOME, SandboxUnavailable, sandbox_problem
from ragfirst.grading.limits import Limits
from ragfirst.runtime.config import OFFLINE_ENV, TEST_ENV, cache_dir

PORTS = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}
OUTPUT_LIMIT_ERROR = "OutputLimitExceeded"  # raised in the kernel by ragfirst.grading.outcap
MEMORY_POLL = 0.2  # seconds between two sums of the sandbox's resident memory while a cell runs


@dataclass
class ExecResult:
    """What one execute request did, as seen from the grader."""

    status: str  # ok | error | timeout | dead | output_limit | memory_limit
    ename: str = ""
    evalue: str = ""
    output: str = ""
    output_bytes: int = 0
    user_expressions: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


_MPL_LOCK = threading.Lock()


def matplotlib_cache() -> Path:
    """A font list built once (trusted, outside the sandbox) and copied into each kernel's /tmp:
    saves every kernel the ~1 s matplotlib spends scanning fonts."""
    folder = cache_dir() / "grading" / "matplotlib"
    with _MPL_LOCK:
        if not any(folder.glob("fontlist-*.json")):
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**os.environ, "MPLCONFIGDIR": str(folder)},
                           capture_output=True, timeout=300)
    return folder


def kernel_environment() -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (no keys, no paths) leaks in."""
    env = {
        "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": INSIDE_HOME,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "RAGFIRST_CACHE": "/tmp/ragfirst-cache",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "VIRTUAL_ENV": sys.prefix,
    }
    env.update(TEST_ENV)  # offline, no .env, fixed hash seed: as in tests and re-executed notebooks
    env.update(OFFLINE_ENV)
    return env


def _proportional_bytes(pid: int) -> int:
    """Pss of one process from /proc/PID/smaps_rollup; its VmRSS where that file cannot be read (then shared
    pages count in full, so the total errs towards the limit)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        return next(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        status = Path(f"/proc/{pid}/status").read_text()
        return next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)


class SandboxedKernel:
    """One IPython kernel in its own namespaces; use as a context manager."""

    def __init__(self, workdir: Path, limits: Limits = Limits()):
        self.workdir = Path(workdir)
        self.limits = limits
        self.process: subprocess.Popen | None = None
        self.client = None
        self.stderr_path = self.workdir / "kernel.stderr"
        self._leases = ExitStack()  # the uid lent to this kernel (root grader) until shutdown
        self._zmq = None

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> None:
        import zmq
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
        self.workdir.mkdir(parents=True, exist_ok=True)
        who = self._leases.enter_context(jail.identity())
        key = secrets.token_hex(16).encode()
        write_connection_file(str(self.workdir / "kernel.json"), ip=f"{INSIDE_COMM}/k", transport="ipc", key=key,
                              **PORTS)  # copied into /comm by the init script
        kernel = [sys.executable, "-m", "ragfirst.grading.kernel_boot", str(self.limits.flood_bytes),
                  "-f", f"{INSIDE_COMM}/kernel.json", "--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]
        limits = jail.ProcessLimits(max(self.limits.memory_bytes, self.limits.address_space_bytes),
                                    self.limits.file_bytes, self.limits.open_files,
                                    self.limits.processes, self.limits.tmpfs_bytes)
        script = jail.init_script(self.workdir, who, limits, matplotlib_cache())
        command = [*jail.unshare_command(who), "sh", "-c", script, "sandbox-init", *kernel]
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                            env=kernel_environment(), start_new_session=True, cwd=str(self.workdir))
        comm = self._wait_for_sockets()
        host_file = self.workdir / "host-connection.json"
        write_connection_file(str(host_file), ip=str(comm / "k"), transport="ipc", key=key, **PORTS)
        # No reconnects: the student's code could swap a socket in /comm for a symlink to a host socket,
        # and a reconnect through /proc/<pid>/root would follow it outside the sandbox.
        self._zmq = zmq.Context()
        self._zmq.setsockopt(zmq.RECONNECT_IVL, -1)
        self.client = BlockingKernelClient(connection_file=str(host_file), context=self._zmq)
        self.client.load_connection_file()
        self.client.start_channels()
        reply = self.execute("1", timeout=self.limits.startup_timeout, silent=True)
        if reply.status != "ok":
            detail = self.stderr_tail() or reply.evalue or reply.status
            self.shutdown()
            raise RuntimeError(f"the sandboxed kernel did not start: {detail}")

    def _wait_for_sockets(self) -> Path:
        """The kernel's /comm as the grader reaches it (through /proc/<pid>/root), once its sockets exist."""
        deadline = time.monotonic() + self.limits.startup_timeout
        while True:
            if not self.alive():
                raise RuntimeError(f"the sandboxed kernel exited at start: {self.stderr_tail()}")
            pid = self.kernel_pid()
            comm = Path(f"/proc/{pid}/root{INSIDE_COMM}")
            if pid and all((comm / f"k-{port}").exists() for port in PORTS.values()):
                return comm
            if time.monotonic() > deadline:
                self.shutdown()
                raise RuntimeError("the sandboxed kernel did not open its sockets in time")
            time.sleep(0.05)

    def stderr_tail(self, size: int = 2000) -> str:
        try:
            return self.stderr_path.read_bytes()[-size:].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kernel_pid(self) -> int | None:
        """Host PID of the kernel (the child of unshare, PID 1 of the new namespace)."""
        if not self.alive():
            return None
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def resident_bytes(self) -> int:
        """Memory of the kernel and every process under it (orphans are reparented to the kernel,
        PID 1 of the namespace), from /proc: the total-memory limit where no cgroup can be used.

        Each process counts its proportional share of the pages it shares (Pss), so forked workers
        that share their parent's memory are not counted once per process."""
        total, todo, seen = 0, [self.kernel_pid()], set()
        while todo:
            pid = todo.pop()
            if not pid or pid in seen:
                continue
            seen.add(pid)
            try:
                total += _proportional_bytes(pid)
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except (OSError, ValueError):
                continue  # exited meanwhile
        return total

    def interrupt(self) -> None:
        pid = self.kernel_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def shutdown(self) -> None:
        """Kill the whole namespace (PID 1 and all its descendants); never raises."""
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # noqa: BLE001 - teardown must not fail
                pass
        if self._zmq is not None:
            self._zmq.destroy(linger=0)
            self._zmq = None
        if self.process is not None and self.process.poll() is None:
            pid = self.kernel_pid()
            if pid:  # kill PID 1 of the namespace first so that unshare reaps it (and its CPU time is counted)
                try:
                    os.kill(pid, signal.SIGKILL)
                    self.process.wait(timeout=5)
                except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.process is None or self.process.poll() is not None:
            self._leases.close()  # the uid is free again only once nothing of this kernel runs

    def __enter__(self) -> "SandboxedKernel":
        try:
            self.start()
        except BaseException:
            self.shutdown()  # frees the uid and ends whatever started
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- execution ----------------------------------------------------------------
    def execute(self, code: str, timeout: float | None = None, silent: bool = False,
                user_expressions: dict[str, str] | None = None) -> ExecResult:
        """Run ``code``; on timeout interrupt (then kill if the kernel does not come back)."""
        timeout = self.limits.cell_timeout if timeout is None else timeout
        started = time.monotonic()
        if not self.alive():
            return ExecResult("dead", evalue="the kernel is not running")
        msg_id = self.client.execute(code, silent=silent, store_history=False,
                                     user_expressions=user_expressions or {}, allow_stdin=False, stop_on_error=False)
        result = ExecResult("ok")
        kept: list[str] = []
        reply: dict | None = None
        idle = False
        deadline = started + timeout
        interrupted_at: float | None = None
        next_memory_check = started
        while reply is None or not idle:
            now = time.monotonic()
            if not self.alive():
                if result.status == "ok":  # keep the cause (timeout, output_limit) when a kill followed it
                    result.status = "dead"
                break
            if result.output_bytes > self.limits.flood_bytes:
                # Stop at once: draining a flood costs the grader CPU, and ipykernel often dies of it anyway.
                result.status = "output_limit"
                self.shutdown()
                break
            if now >= next_memory_check:
                next_memory_check = now + MEMORY_POLL
                if self.resident_bytes() > self.limits.memory_bytes:
                    result.status = "memory_limit"  # all processes together: RLIMIT_AS only bounds each one
                    self.shutdown()
                    break
            if interrupted_at is None and now > deadline:
                result.status = "timeout"
                interrupted_at = now
                self.interrupt()
            if interrupted_at is not None and now - interrupted_at > 5:
                self.shutdown()  # did not react to SIGINT (ignored or blocked): end the namespace
                break
            if reply is None:
                reply = self._shell_reply(msg_id)
            message = self._next_iopub(0.05)
            if message is None or message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "status":
                idle = content.get("execution_state") == "idle"
            elif kind == "stream":
                self._keep(result, kept, content.get("text", ""))
            elif kind in ("execute_result", "display_data"):
                self._keep(result, kept, str(content.get("data", {}).get("text/plain", "")) + "\n")
            elif kind == "error":
                result.ename, result.evalue = str(content.get("ename", "")), str(content.get("evalue", ""))
        if result.ename == OUTPUT_LIMIT_ERROR and result.status in ("ok", "dead"):
            result.status = "output_limit"  # counted in the kernel (outcap): the same outcome on every machine
            self.shutdown()
        elif reply is not None:
            if result.status == "ok" and reply.get("status") != "ok":
                result.status = "error"
                result.ename = result.ename or str(reply.get("ename", ""))
                result.evalue = result.evalue or str(reply.get("evalue", ""))
            result.user_expressions = reply.get("user_expressions") or {}
        elif result.status == "ok":
            result.status = "dead"
        result.output = "".join(kept)
        result.seconds = time.monotonic() - started
        return result

    def _shell_reply(self, msg_id: str) -> dict | None:
        try:
            while True:
                message = self.client.get_shell_msg(timeout=0)
                if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "execute_reply":
                    return message["content"]
        except Exception:  # queue.Empty: nothing yet
            return None

    def _next_iopub(self, timeout: float) -> dict | None:
        try:
            return self.client.get_iopub_msg(timeout=timeout)
        except Exception:  # queue.Empty
            return None

    def _keep(self, result: ExecResult, kept: list[str], text: str) -> None:
        size = len(text.encode("utf-8", "replace"))
        room = self.limits.output_bytes - sum(len(part) for part in kept)
        if room > 0:
            kept.append(text[:room])
        result.output_bytes += size




def _debug() -> None:  # python -m ragfirst.grading.sandbox 'print(1)'
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ragfirst-sbx-") as tmp, SandboxedKernel(Path(tmp)) as kernel:
        for code in sys.argv[1:]:
            print(json.dumps(kernel.execute(code).__dict__, ensure_ascii=False, default=str))


if __name__ == "__main__":
    _debug()
