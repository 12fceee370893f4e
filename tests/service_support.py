"""A real `ragfirst serve` on a free loopback port, shared by the service tests.

The service runs as a user would run it: the CLI in a subprocess, uvicorn, the
fixture corpus indexed into chroma, and its own local LLM server. The cache dir is
private (the converted model is linked in), so killing that LLM server in a fault
test touches nothing else on the machine.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from rag_fixtures import write_corpus

START_TIMEOUT = 900.0  # the LLM server loads the model; slow on a busy 2-core machine
REQUEST_TIMEOUT = 600.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_cache(folder: Path) -> Path:
    """A cache dir that shares the converted model but not the LLM server's state."""
    from ragfirst.models import model_dir

    (folder / "models").mkdir(parents=True)
    (folder / "models" / model_dir().name).symlink_to(model_dir())
    return folder


@dataclass
class Service:
    url: str
    env: dict
    process: subprocess.Popen
    log: Path

    @property
    def database(self) -> Path:
        return Path(self.env["RAGFIRST_SERVICE_DIR"]) / "service.sqlite3"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ragfirst.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=120)

    def new_key(self, name: str, per_minute: float = 6000, burst: float = 1000) -> str:
        done = self.cli("keys", "create", name, "--per-minute", str(per_minute), "--burst", str(burst))
        assert done.returncode == 0, done.stderr
        secret = done.stdout.strip().splitlines()[-1]
        assert re.fullmatch(r"rf_[A-Za-z0-9_-]{40,}", secret), done.stdout
        return secret

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=REQUEST_TIMEOUT)

    def llm_server(self):
        """The service's own local LLM server (read from its private cache)."""
        code = "import json; from ragfirst import llm_server as s; r = s.running_server(); print(json.dumps(r and [r.pid, r.port]))"
        done = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"ragfirst serve exited ({self.process.returncode}):\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                last = httpx.get(f"{self.url}/ready", timeout=10)
                if last.status_code == 200:
                    return last.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail(f"service not ready in {timeout:.0f} s: {last and last.text}\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_service(folder: Path, **env_extra: str) -> Service:
    """`ragfirst serve` on a free port with the fixture corpus, a private cache and service dir."""
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "cache"
    if not cache.exists():
        private_cache(cache)
    corpus = folder / "docs"
    if not corpus.exists():
        write_corpus(corpus)
    port = free_port()
    env = {**os.environ, "RAGFIRST_CACHE": str(cache), "RAGFIRST_SERVICE_DIR": str(folder / "service"),
           "RAGFIRST_SERVICE_CORPUS": str(corpus), "RAGFIRST_LLM_TIMEOUT": "120", "RAGFIRST_LLM_MAX_RETRIES": "0",
           **env_extra}
    env.pop("RAGFIRST_CHROMA_URL", None)
    log = folder / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ragfirst.cli", "serve", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    service = Service(f"http://127.0.0.1:{port}", env, process, log)
    service.wait_ready()
    return service


def sse_events(response: httpx.Response):
    """(event, data) pairs from a streaming response, as they arrive."""
    event, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
        elif not line and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    running = start_service(tmp_path_factory.mktemp("service"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def key(service):
    return service.new_key("tests")
