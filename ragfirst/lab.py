"""`make lab`: start JupyterLab on 127.0.0.1, opened on the course's first notebook."""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys

from ragfirst.config import REPO_ROOT

FIRST_NOTEBOOK = "notebooks/00_setup.ipynb"


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
    args = parser.parse_args(argv)
    port = args.port or free_port()
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/{FIRST_NOTEBOOK}?token={token}"
    print(f"ragfirst: JupyterLab starting — open {url}", flush=True)
    os.chdir(REPO_ROOT)
    command = lab_command(port, token, open_browser=not args.no_browser)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
