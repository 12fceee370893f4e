"""`make lab` serves JupyterLab on loopback, offline, with a clean first screen for learners."""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from ragfirst.runtime import lab
from ragfirst.runtime.config import REPO_ROOT

TOKEN = "ragfirst-test-token"


@contextlib.contextmanager
def running_lab(*options):
    """Start `python -m ragfirst.runtime.lab` and yield (base URL, first /lab page); its output is checked after."""
    port = lab.free_port(18888)
    env = dict(os.environ, JUPYTER_TOKEN=TOKEN)
    process = subprocess.Popen(
        [sys.executable, "-m", "ragfirst.runtime.lab", "--no-browser", "--port", str(port), *options],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    log = {"output": ""}
    try:
        page, deadline = None, time.monotonic() + 90
        while page is None and time.monotonic() < deadline and process.poll() is None:
            try:
                page = fetch(f"{base}/lab?token={TOKEN}")
            except OSError:
                time.sleep(0.5)
        assert page is not None, f"JupyterLab did not answer; exit code {process.poll()}"
        yield base, page, log
    finally:
        process.terminate()
        log["output"], _ = process.communicate(timeout=30)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return response.read().decode("utf-8", "replace")


def page_config(page: str) -> dict:
    return json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)[1])


def notification_settings(base: str) -> dict:
    """The notification plugin's defaults as the page receives them (overrides change the schema defaults)."""
    url = f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={TOKEN}"
    properties = json.loads(fetch(url))["schema"]["properties"]
    return {name: spec.get("default") for name, spec in properties.items()}


@pytest.mark.slow
def test_learners_get_no_news_prompt_and_no_nbgrader_menus_offline():
    with running_lab() as (base, page, log):
        assert "JupyterLab" in page
        assert "@jupyter/nbgrader" in page_config(page)["disabledExtensions"]
        settings = notification_settings(base)
        assert settings["fetchNews"] == "false" and settings["checkForUpdates"] is False
    assert f"http://127.0.0.1:{base.rsplit(':', 1)[1]}/lab/tree/notebooks/00_setup.ipynb?token=" in log["output"]
    assert "learner mode" in log["output"]
    assert "offline guard" not in log["output"], log["output"][-2000:]


@pytest.mark.slow
def test_instructor_mode_keeps_nbgrader_and_still_asks_for_no_news():
    with running_lab("--instructor") as (base, page, log):
        assert "@jupyter/nbgrader" not in page_config(page)["disabledExtensions"]
        assert notification_settings(base)["fetchNews"] == "false"
    assert "instructor mode" in log["output"]


def test_a_users_own_jupyter_config_path_is_kept_after_the_course_settings(tmp_path):
    env = lab.lab_environment(instructor=False, env={"JUPYTER_CONFIG_PATH": str(tmp_path)})
    first, second = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)
    assert first.endswith("learner") and second == str(tmp_path)
