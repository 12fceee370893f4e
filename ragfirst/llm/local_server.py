"""Find, start and stop the local LLM server (``ragfirst llm start|status|stop``).

:func:`ensure_local_server` starts :mod:`ragfirst.llm.http_server` in a subprocess on
a free port, or reuses the one already running (found through the state file,
:mod:`ragfirst.llm.server_state`, plus a liveness check); a file lock makes
concurrent starts spawn only one process; :func:`stop_local_server` stops it.
Unless ``keep=True`` or ``RAGFIRST_KEEP_LLM_SERVER=1``, the server watches the
process that started it (a notebook kernel) and stops when it is gone, even when
it was killed; this process also stops it at exit (registered when it starts one,
never on import).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ragfirst.llm.server_state import (
    DEFAULT_IDLE_TIMEOUT,
    HOST,
    LocalServer,
    alive,
    is_our_server,
    log_path,
    read_state,
    server_dir,
    state_path,
)
from ragfirst.runtime import config

START_TIMEOUT = 600.0  # the first start converts the GGUF (~40 s idle, minutes under load)


def health(port: int, timeout: float = 2.0, token: str = "") -> dict | None:
    """The server's /health answer on this port, or None when nothing sensible answers."""
    request = urllib.request.Request(f"http://{HOST}:{port}/health", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) else None


def _healthy(server: LocalServer, timeout: float = 2.0) -> bool:
    """True when the process in the state file answers /health on its port (not a stranger)."""
    data = health(server.port, timeout, server.token) or {}
    return data.get("status") == "ok" and data.get("pid") == server.pid


def _accepts_connections(port: int, timeout: float = 5.0) -> bool:
    """The kernel completes a TCP handshake for a listening socket even when the
    server process is starved of CPU, so this does not mistake "busy" for "dead"."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def running_server(health_timeout: float = 30.0) -> LocalServer | None:
    """The live local server recorded in the cache dir, or None.

    Identity comes from /proc (the pid runs ``ragfirst.llm.http_server``) plus a TCP
    connect; only without /proc do we ask /health, with a generous timeout, because
    a false "not running" would start a second server.
    """
    server = read_state()
    if server is None or not alive(server.pid):
        return None
    ours = is_our_server(server.pid)
    if ours is False:
        return None
    if ours is True:
        return server if _accepts_connections(server.port) else None
    return server if _healthy(server, timeout=health_timeout) else None


def server_token(base_url: str | None) -> str:
    """The bearer token of the recorded local server at ``base_url`` ("" when it is not ours)."""
    server = read_state()
    return server.token if server is not None and server.base_url == base_url else ""


_started_here: set[int] = set()


def ensure_local_server(
    model: str | None = None, *, keep: bool | None = None, start_timeout: float = START_TIMEOUT
) -> LocalServer:
    """Return the running local server, starting one if none answers.

    Safe to call from several processes at once: a file lock serialises starts and
    the state file lets the second caller reuse the first caller's server.
    """
    from filelock import FileLock, Timeout

    from ragfirst.llm.models import DEFAULT_MODEL, model_spec

    name = model_spec(model or DEFAULT_MODEL).name
    server = running_server()
    if server is not None and server.model == name:
        return server
    try:
        with FileLock(str(server_dir() / "start.lock"), timeout=start_timeout):
            server = running_server()
            if server is not None and server.model == name:
                return server
            if server is not None:  # a different model is being served: replace it
                stop_local_server()
            if keep is None:
                keep = os.environ.get("RAGFIRST_KEEP_LLM_SERVER") == "1"
            server = _spawn(name, start_timeout, parent=None if keep else os.getpid())
            if not keep:
                _stop_at_exit(server.pid)
    except Timeout:
        raise TimeoutError(
            f"로컬 LLM 서버 시작을 {start_timeout:.0f}초 동안 기다렸지만 다른 프로세스가 잠금을 놓지 않았습니다 "
            f"(waited {start_timeout:.0f} s for {server_dir() / 'start.lock'}); 로그: {log_path()}"
        ) from None
    return server


def _stop_at_exit(pid: int) -> None:
    """Registered when this process starts a server, not on import: importing starts nothing."""
    if not _started_here:
        atexit.register(stop_servers_started_here)
    _started_here.add(pid)


def _spawn(name: str, start_timeout: float, parent: int | None) -> LocalServer:
    state = state_path()
    state.unlink(missing_ok=True)
    command = [sys.executable, "-m", "ragfirst.llm.http_server", "--model", name, "--port", "0", "--state-file", str(state)]
    if parent is not None:
        command += ["--parent-pid", str(parent)]
    with open(log_path(), "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a notebook must not kill the shared server
            cwd=str(config.REPO_ROOT),
        )
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"로컬 LLM 서버가 시작 중에 종료되었습니다 (exit code {process.returncode}). "
                f"The local LLM server exited during start-up; see the log: {log_path()}\n{_log_tail()}"
            )
        server = read_state(state)
        if server is not None and server.pid == process.pid and _healthy(server):
            return server
        time.sleep(0.2)
    _terminate(process.pid)
    raise TimeoutError(
        f"로컬 LLM 서버가 {start_timeout:.0f}초 안에 준비되지 않았습니다 "
        f"(the local LLM server was not ready within {start_timeout:.0f} s); log: {log_path()}"
    )


def _log_tail(lines: int = 15) -> str:
    try:
        return "\n".join(log_path().read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _terminate(pid: int, grace: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while alive(pid) and time.monotonic() < deadline + 5:
        time.sleep(0.05)


def stop_local_server() -> bool:
    """Stop the local server recorded in the cache dir. Returns True if one was stopped.

    Only a process that is a ``ragfirst.llm.http_server`` (checked in /proc, or by /health
    where /proc is missing) is signalled, so a stale state file never makes us kill an
    unrelated process that reused the pid.
    """
    server = read_state()
    if server is None:
        return False
    ours = is_our_server(server.pid)
    if ours is None:  # no /proc (macOS): fall back to asking the server who it is
        ours = _healthy(server, timeout=10.0)
    stopped = False
    if ours and alive(server.pid):
        _terminate(server.pid)
        stopped = True
    _started_here.discard(server.pid)
    current = read_state()
    if current is not None and current.pid == server.pid and not alive(server.pid):
        state_path().unlink(missing_ok=True)
    return stopped


def _busy(server: LocalServer) -> bool:
    return bool((health(server.port, timeout=5, token=server.token) or {}).get("busy"))


def stop_servers_started_here() -> None:
    """Stop the server this process started, unless another process is mid-request on it
    (then its idle timeout ends it later)."""
    if not _started_here:
        return
    server = read_state()
    if server is not None and server.pid in _started_here and not _busy(server):
        stop_local_server()


def idle_timeout_text() -> str:
    """What ends a server started by ``ragfirst llm start``, in one line (the truth about the idle timeout)."""
    seconds = float(os.environ.get("RAGFIRST_LLM_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT))
    if seconds <= 0:
        return "'ragfirst llm stop'으로 멈출 때까지 실행됩니다 (runs until 'ragfirst llm stop'; idle timeout off)"
    return (f"'ragfirst llm stop' 또는 {seconds / 60:g}분 동안 요청이 없으면 멈춥니다 (runs until 'ragfirst llm stop' "
            f"or {seconds:g} s without requests; RAGFIRST_LLM_IDLE_TIMEOUT=0 turns the idle timeout off)")


def run_cli(args) -> int:
    """``ragfirst llm start|status|stop``; a server started here outlives this command, not its idle timeout."""
    if args.action == "start":
        server = ensure_local_server(keep=True)
        print(f"로컬 LLM 서버 실행 중 (local LLM server running): pid {server.pid}, {server.base_url}, {server.model}")
        print(idle_timeout_text())
        print("토큰은 서버 상태 파일에 있습니다 (the bearer token is in the state file, mode 0600): "
              f"{state_path()}; ragfirst.llm.chat의 클라이언트가 자동으로 보냅니다 (the course's client sends it)")
    elif args.action == "status":
        server = running_server()
        if server is None:
            print("로컬 LLM 서버가 실행 중이 아닙니다 (no local LLM server is running)")
            return 1
        print(f"로컬 LLM 서버 실행 중 (local LLM server running): pid {server.pid}, {server.base_url}, {server.model}")
    else:
        stopped = stop_local_server()
        print("로컬 LLM 서버를 멈췄습니다 (stopped)" if stopped else "실행 중인 서버가 없습니다 (none was running)")
    return 0
