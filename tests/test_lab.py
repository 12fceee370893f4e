"""`make lab` serves JupyterLab on loopback, offline (the guard is on in the child)."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from ragfirst import lab
from ragfirst.config import REPO_ROOT


@pytest.mark.slow
def test_lab_serves_http_200_on_lab_offline():
    port = lab.free_port(18888)
    env = dict(os.environ, JUPYTER_TOKEN="ragfirst-test-token")
    process = subprocess.Popen(
        [sys.executable, "-m", "ragfirst.lab", "--no-browser", "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/lab?token=ragfirst-test-token"
    try:
        status, deadline = None, time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    status = response.status
                    body = response.read().decode("utf-8", "replace")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"JupyterLab did not answer; exit code {process.poll()}"
        assert "JupyterLab" in body
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/lab/tree/notebooks/00_setup.ipynb?token=" in output
    assert "offline guard" not in output, output[-2000:]
