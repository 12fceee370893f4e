"""Start `ragfirst serve` as a separate process and wait until it can answer.

Used by the tests, the benchmark and notebook 07, so that each of them runs the
service exactly as a user would (the CLI, uvicorn, a real port on 127.0.0.1)
instead of calling the app in-process.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 900.0  # the first start indexes the corpus and loads the LLM; slow on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_cache(folder: Path) -> Path:
    """A cache dir sharing the converted model but not the LLM server, so stopping or killing ours touches no one."""
    from ragfirst.llm.models import ensure_converted, model_dir

    ensure_converted()  # on a fresh machine the shared copy must exist before it is linked (one-off, minutes)
    if not (folder / "models" / model_dir().name).exists():
        (folder / "models").mkdir(parents=True, exist_ok=True)
        (folder / "models" / model_dir().name).symlink_to(model_dir())
    return folder


@dataclass
class Running:
    """A `ragfirst serve` process and how to talk to it."""

    url: str
    env: dict
    process: subprocess.Popen
    log: Path
    private_llm: bool = False
    workers: int = 1

    @property
    def database(self) -> Path:
        return Path(self.env["RAGFIRST_SERVICE_DIR"]) / "service.sqlite3"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``ragfirst ARGS`` against this service's files."""
        return subprocess.run([sys.executable, "-m", "ragfirst.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=300)

    def new_key(self, name: str, per_minute: float = 6000, burst: float = 1000, customer: str | None = None) -> str:
        """`ragfirst keys create NAME [--customer C]` and the secret it printed."""
        done = self.cli("keys", "create", name, "--per-minute", str(per_minute), "--burst", str(burst),
                        *(["--customer", customer] if customer else []))
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        secret = done.stdout.strip().splitlines()[-1]
        if not re.fullmatch(r"rf_[A-Za-z0-9_-]{40,}", secret):
            raise RuntimeError(f"unexpected output of keys create: {done.stdout!r}")
        return secret

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, timeout: float = START_TIMEOUT) -> dict:
        """Poll /ready until every worker has said yes; RuntimeError (with the log's end) if the process dies
        or time runs out.

        Each worker builds its index on its own, so one ready worker does not make the service ready:
        every poll is a new connection, which the kernel hands to any worker, until ``workers`` pids answered.
        """
        import httpx

        deadline = time.monotonic() + timeout
        last, ready_pids = None, set()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ragfirst serve exited ({self.process.returncode}):\n{self.tail()}")
            try:
                last = httpx.get(f"{self.url}/ready", timeout=10)
                if last.status_code == 200:
                    ready_pids.add(last.json()["pid"])
                    if len(ready_pids) >= self.workers:
                        return last.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"service not ready in {timeout:.0f} s: {last and last.text}\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down cleanly and stops the LLM server it started), SIGKILL after 60 s.

        With a private cache, its LLM server is stopped too, in case the service could not.
        """
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.private_llm:
            self.cli("llm", "stop")


def start(folder: Path, corpus: Path | None = None, *, private_llm: bool = True, wait: bool = True, workers: int = 1,
          **env_extra: str) -> Running:
    """`ragfirst serve` on a free loopback port with its files under ``folder``.

    ``private_llm`` gives it its own cache dir (and so its own LLM server); ``env_extra``
    sets more environment variables (``RAGFIRST_SERVICE_QUEUE="8"``…).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RAGFIRST_SERVICE_DIR": str(folder / "service")}
    if private_llm:
        env["RAGFIRST_CACHE"] = str(private_cache(folder / "cache"))
    if corpus is not None:
        env["RAGFIRST_SERVICE_CORPUS"] = str(corpus)
    env.update(env_extra)
    port = free_port()
    log = folder / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ragfirst.cli", "serve", "--port", str(port), "--workers", str(workers)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    running = Running(f"http://127.0.0.1:{port}", env, process, log, private_llm, workers)
    if wait:
        try:
            running.wait_ready()
        except BaseException:
            running.stop()
            raise
    return running
