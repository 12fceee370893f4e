"""Run untrusted notebook code in a Jupyter kernel locked in Linux namespaces.

Why this shape: nbgrader executes student code in an ordinary kernel with the
grader's rights. Here each submission gets its own kernel started by
``unshare`` (util-linux, no root and no Docker needed) in new user, mount,
network, PID, IPC and UTS namespaces:

* file system: a fresh tmpfs root (``pivot_root``, the host tree unmounted) with
  only the OS, the Python runtime, the venv, ``ragfirst/`` and ``data/``
  mounted read-only; ``/home/student`` (the working directory) and ``/tmp`` are
  small tmpfs mounts that vanish with the kernel. Hidden tests, solutions,
  other submissions and the grader's output are simply not there;
* no network: the new network namespace has no interface up, not even loopback;
  the grader talks to the kernel over Unix sockets (jupyter's ``ipc``
  transport) in one bind-mounted directory, ``/comm``;
* no privileges: ``setpriv`` drops every capability and sets no_new_privs, so
  the mounts cannot be changed back;
* limits: RLIMIT_AS (memory), RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE, plus a
  timeout per cell and per submission enforced by the grader (interrupt, then kill);
* teardown: the kernel is PID 1 of its PID namespace, so killing it ends every
  process the student started.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragfirst.config import DATA_DIR, OFFLINE_ENV, REPO_ROOT, TEST_ENV, cache_dir

PACKAGE_DIR = REPO_ROOT / "ragfirst"
INSIDE_COMM = "/comm"
INSIDE_HOME = "/home/student"
PORTS = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}


class SandboxUnavailable(RuntimeError):
    """This machine cannot create the namespaces; the message says what is missing."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's kernel."""

    cell_timeout: float = 30.0  # seconds per cell (and per call from a test)
    submission_timeout: float = 240.0  # seconds for everything of one submission
    startup_timeout: float = 60.0  # seconds for the kernel to answer its first request
    instructor_timeout: float = 120.0  # seconds for a read-only (instructor) cell: imports are slow on a busy machine
    memory_bytes: int = 2 * 1024**3  # RLIMIT_AS of the kernel (virtual memory)
    file_bytes: int = 16 * 1024**2  # RLIMIT_FSIZE: largest file the kernel may write
    tmpfs_bytes: int = 64 * 1024**2  # size of /home/student and of /tmp
    open_files: int = 512  # RLIMIT_NOFILE
    output_bytes: int = 64 * 1024  # output kept per cell (the rest is counted, not kept)
    flood_bytes: int = 8 * 1024**2  # a cell printing more than this ends the kernel (status output_limit)


@dataclass
class ExecResult:
    """What one execute request did, as seen from the grader."""

    status: str  # ok | error | timeout | dead | output_limit
    ename: str = ""
    evalue: str = ""
    output: str = ""
    output_bytes: int = 0
    user_expressions: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@functools.cache  # the machine does not change while we run
def sandbox_problem() -> str | None:
    """Why the sandbox cannot run here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return "the grading sandbox needs Linux (user, mount and network namespaces)"
    for tool in ("unshare", "setpriv", "mount", "pivot_root", "umount"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            return f"'{tool}' is missing: install util-linux (Debian/Ubuntu: apt-get install util-linux mount)"
    probe = subprocess.run(["unshare", "-Urmn", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return ("unshare -Urmn failed: unprivileged user namespaces are disabled "
                f"({probe.stderr.strip()}); enable them with 'sysctl kernel.unprivileged_userns_clone=1' "
                "or 'sysctl user.max_user_namespaces=15000'")
    return None


def _read_only_mounts() -> list[str]:
    """Host directories the kernel may read: the OS, Python, the venv, ragfirst/ and data/."""
    wanted = ["/usr", "/etc", sys.base_prefix, sys.prefix, str(PACKAGE_DIR), str(DATA_DIR)]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_dir() and not path.is_symlink():
            wanted.append(str(path))
    result: list[str] = []
    for path in wanted:
        resolved = str(Path(path).resolve())
        covered = any(resolved == done or resolved.startswith(done.rstrip("/") + "/") for done in result)
        if Path(resolved).is_dir() and not covered:
            result.append(resolved)
    return result


def _init_script(root: Path, comm: Path, limits: Limits) -> str:
    """Shell run as root of the new user namespace: build the tree, pivot, drop privileges, exec."""
    q = shlex.quote
    lines = ["set -eu", 'KERNEL_PATH="$PATH"', "PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"R={q(str(root))}", 'mount -t tmpfs -o size=16m,mode=755 tmpfs "$R"',
             # /tmp first: a repo or venv that lives under /tmp is bind-mounted on top of it below
             f'mkdir -p "$R"/tmp && mount -t tmpfs -o size={limits.tmpfs_bytes},mode=1777 tmpfs "$R"/tmp']
    for path in _read_only_mounts():
        lines.append(f'mkdir -p "$R"{q(path)} && mount --rbind {q(path)} "$R"{q(path)} '
                     f'&& mount -o remount,bind,ro "$R"{q(path)}')
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            lines.append(f'ln -s {q(os.readlink(path))} "$R"/{name}')
    size = limits.tmpfs_bytes
    lines += [
        f'mkdir -p "$R"/proc "$R"/dev/shm "$R"{INSIDE_HOME} "$R"{INSIDE_COMM} "$R"/oldroot',
        'mount -t proc proc "$R"/proc',
        'for f in null zero random urandom; do touch "$R"/dev/$f; mount --bind /dev/$f "$R"/dev/$f; done',
        f'mount -t tmpfs -o size={size},mode=1777 tmpfs "$R"/dev/shm',
        f'mount -t tmpfs -o size={size},mode=755 tmpfs "$R"{INSIDE_HOME}',
        f'mount --bind {q(str(comm))} "$R"{INSIDE_COMM}',
        f'mkdir -p "$R"/tmp/matplotlib && cp {q(str(matplotlib_cache()))}/fontlist-*.json "$R"/tmp/matplotlib/ 2>/dev/null || true',
        'cd "$R" && pivot_root . oldroot && umount -l /oldroot && rmdir /oldroot',
        "mount -o remount,bind,ro /",
        f"cd {INSIDE_HOME}",
        'PATH="$KERNEL_PATH"',
        "exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all "
        "--securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked "
        '-- "$@"',
    ]
    return "\n".join(lines)


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


def _set_limits(limits: Limits) -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class SandboxedKernel:
    """One IPython kernel in its own namespaces; use as a context manager."""

    def __init__(self, workdir: Path, limits: Limits = Limits()):
        self.workdir = Path(workdir)
        self.limits = limits
        self.process: subprocess.Popen | None = None
        self.client = None
        self.stderr_path = self.workdir / "kernel.stderr"

    # -- life cycle ---------------------------------------------------------------
    def start(self) -> None:
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        problem = sandbox_problem()
        if problem:
            raise SandboxUnavailable(problem)
        comm = self.workdir / "comm"
        root = self.workdir / "root"
        comm.mkdir(parents=True, exist_ok=True)
        root.mkdir(exist_ok=True)
        key = secrets.token_hex(16)
        inside_file = comm / "kernel.json"
        write_connection_file(str(inside_file), ip=f"{INSIDE_COMM}/k", transport="ipc", key=key.encode(), **PORTS)
        host_file = self.workdir / "host-connection.json"
        write_connection_file(str(host_file), ip=str(comm / "k"), transport="ipc", key=key.encode(), **PORTS)
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", f"{INSIDE_COMM}/kernel.json",
                  "--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]
        command = ["unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--ipc", "--uts",
                   "--fork", "--kill-child", "--propagation", "private",
                   "sh", "-c", _init_script(root, comm, self.limits), "sandbox-init", *kernel]
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=kernel_environment(),
                start_new_session=True, preexec_fn=lambda: _set_limits(self.limits), cwd=str(self.workdir),
            )
        self.client = BlockingKernelClient(connection_file=str(host_file))
        self.client.load_connection_file()
        self._wait_for_sockets(comm)
        self.client.start_channels()
        reply = self.execute("1", timeout=self.limits.startup_timeout, silent=True)
        if reply.status != "ok":
            detail = self.stderr_tail() or reply.evalue or reply.status
            self.shutdown()
            raise RuntimeError(f"the sandboxed kernel did not start: {detail}")

    def _wait_for_sockets(self, comm: Path) -> None:
        deadline = time.monotonic() + self.limits.startup_timeout
        wanted = [comm / f"k-{port}" for port in PORTS.values()]
        while not all(path.exists() for path in wanted):
            if not self.alive():
                raise RuntimeError(f"the sandboxed kernel exited at start: {self.stderr_tail()}")
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

    def __enter__(self) -> "SandboxedKernel":
        self.start()
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
        if reply is not None:
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
