"""`make lab`: start JupyterLab on 127.0.0.1, opened on the course's first notebook.

Learners get a clean first screen: no "receive official Jupyter news?" prompt and none
of nbgrader's instructor menus. `make lab INSTRUCTOR=1` (``--instructor``) keeps nbgrader.
Both are JupyterLab's own layered settings (``labconfig/`` in a folder on
``JUPYTER_CONFIG_PATH``), written under the cache so that the venv stays untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import sys
from pathlib import Path

from ragfirst.runtime.config import REPO_ROOT, cache_dir

FIRST_NOTEBOOK = "notebooks/00_setup.ipynb"
# Settings every course user gets: never ask about, or fetch, Jupyter news and updates.
SETTING_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
# Hidden from learners: nbgrader's menus (Nbgrader, Create Assignment, Validate, assignment lists).
LEARNER_PAGE_CONFIG = {"disabledExtensions": {"@jupyter/nbgrader": True}}


def config_dir(instructor: bool) -> Path:
    """A Jupyter config folder holding the course's lab settings for this mode."""
    folder = cache_dir() / "jupyter" / ("instructor" if instructor else "learner")
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    files = {"default_setting_overrides.json": SETTING_OVERRIDES,
             "page_config.json": {} if instructor else LEARNER_PAGE_CONFIG}
    for name, content in files.items():
        (labconfig / name).write_text(json.dumps(content, indent=2), encoding="utf-8")
    return folder


def lab_environment(instructor: bool, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for JupyterLab: the mode's config folder first on ``JUPYTER_CONFIG_PATH``."""
    env = dict(os.environ if env is None else env)
    paths = [str(config_dir(instructor)), *filter(None, env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def free_port(preferred: int = 8888, attempts: int = 50) -> int:
    """The first port from ``preferred`` upward that nothing listens on."""
    for port in range(preferred, preferred + attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {preferred}-{preferred + attempts - 1}; pass --port")


def lab_command(port: int, token: str, open_browser: bool) -> list[str]:
    """The jupyter command line: loopback only, no update checks or news fetches."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # containers, CI
    return [
        sys.executable, "-m", "jupyter", "lab", FIRST_NOTEBOOK,
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={REPO_ROOT}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.open_browser={open_browser}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        *as_root,
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="default: first free port from 8888")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.add_argument("--instructor", action="store_true", help="show nbgrader's menus (make lab INSTRUCTOR=1)")
    args = parser.parse_args(argv)
    port = args.port or free_port()
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/{FIRST_NOTEBOOK}?token={token}"
    mode = "instructor mode (nbgrader menus on)" if args.instructor else "learner mode"
    print(f"ragfirst: JupyterLab starting in {mode} — open {url}", flush=True)
    os.chdir(REPO_ROOT)
    command = lab_command(port, token, open_browser=not args.no_browser)
    os.execve(command[0], command, lab_environment(args.instructor))


if __name__ == "__main__":
    main()
