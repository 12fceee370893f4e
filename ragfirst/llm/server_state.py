"""Where a local LLM server is recorded (a state file in the cache dir) and whether its process lives.

Shared by the server process (:mod:`ragfirst.llm.http_server`, which writes the
record) and the processes that find, start and stop it (:mod:`ragfirst.llm.local_server`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ragfirst.runtime import config

HOST = "127.0.0.1"
DEFAULT_IDLE_TIMEOUT = 1800.0  # seconds without requests before a server exits (RAGFIRST_LLM_IDLE_TIMEOUT)


def server_dir() -> Path:
    path = config.cache_dir() / "llm_server"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path() -> Path:
    return server_dir() / "state.json"


def log_path() -> Path:
    return server_dir() / "server.log"


@dataclass(frozen=True)
class LocalServer:
    """A running local server, as recorded in the state file."""

    pid: int
    port: int
    model: str
    token: str = ""  # the bearer token; only the user who started the server can read it

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"


def write_state(server: LocalServer, path: Path) -> None:
    """Atomically, and readable by its owner only (mode 0600 from creation: it holds the token)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = json.dumps({"pid": server.pid, "port": server.port, "model": server.model, "token": server.token})
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # an older file of that name may have had other bits
        file.write(data)
    os.replace(tmp, path)


def read_state(path: Path | None = None) -> LocalServer | None:
    try:
        data = json.loads((path or state_path()).read_text(encoding="utf-8"))
        return LocalServer(int(data["pid"]), int(data["port"]), str(data["model"]), str(data.get("token", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_our_server(pid: int) -> bool | None:
    """Whether ``pid`` runs ``ragfirst.llm.http_server`` (None where /proc is unavailable)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False if Path("/proc/self").exists() else None
    except OSError:
        return None
    return b"ragfirst.llm.http_server" in cmdline


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited process nobody has reaped yet (a zombie) is gone for our purposes
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    except (OSError, IndexError):
        pass
    # A zombie child of ours counts as gone: reap it.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True
