"""A real `ragfirst serve` on a free loopback port, shared by the service tests.

The service runs as a user would run it: the CLI in a subprocess, uvicorn, the
fixture corpus indexed into chroma, and its own local LLM server. The cache dir is
private (the converted model is linked in), so killing that LLM server in a fault
test touches nothing else on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from rag_fixtures import write_corpus
from ragfirst.service import launch

REQUEST_TIMEOUT = 600.0


class Service(launch.Running):
    """The running service plus the helpers tests need."""

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=REQUEST_TIMEOUT)

    def llm_server(self):
        """``[pid, port, token]`` of the service's own local LLM server (read from its private cache), or None."""
        code = ("import json; from ragfirst.llm import local_server as s; r = s.running_server(); "
                "print(json.dumps(r and [r.pid, r.port, r.token]))")
        done = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout)


def start_service(folder: Path, **env_extra: str) -> Service:
    """`ragfirst serve` with the fixture corpus, a private cache and service dir; a failure to start fails the test."""
    corpus = folder / "docs"
    if not corpus.exists():
        write_corpus(corpus)
    env_extra = {"RAGFIRST_LLM_TIMEOUT": "120", "RAGFIRST_LLM_MAX_RETRIES": "0", **env_extra}
    os.environ.pop("RAGFIRST_CHROMA_URL", None)
    try:
        running = launch.start(folder, corpus, **env_extra)
    except RuntimeError as error:
        pytest.fail(str(error))
    return Service(running.url, running.env, running.process, running.log, running.private_llm)


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


_shared: list[Service] = []


@pytest.fixture(scope="session")
def service(tmp_path_factory):
    """One service for the whole session: each test module imports this fixture, so
    pytest makes one fixture per module; they all hand out the same process."""
    if not _shared or _shared[0].process.poll() is not None:
        _shared[:] = [start_service(tmp_path_factory.mktemp("service"))]
    yield _shared[0]
    if _shared:
        _shared.pop().stop()


@pytest.fixture(scope="session")
def key(service):
    """One API key per service (made once, however many modules ask for it)."""
    if getattr(service, "test_key", None) is None:
        service.test_key = service.new_key("tests")
    return service.test_key
