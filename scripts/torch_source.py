"""Where setup takes torch from: always its CPU build, never GBs of CUDA wheels (`scripts/bootstrap.sh`).

On Linux x86-64 the public index serves torch as a CUDA build; PyTorch publishes the
CPU build on its own CPU-only index. Some package indexes (like the course's build
machines') already serve the CPU build: then nothing else is contacted. macOS and
Linux on ARM get CPU builds from the public index as it is.

Usage: ``python scripts/torch_source.py torch==2.13.0`` prints the extra pip options
(one per line; nothing when the configured index is right).
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def install_options(system: str, machine: str, resolved_version: str) -> list[str]:
    """Extra pip options for installing torch, given what the configured index would install."""
    if "+cpu" in resolved_version:
        return []  # the configured index already serves the CPU build
    if system == "Linux" and machine.lower() in {"x86_64", "amd64"}:
        return ["--index-url", CPU_INDEX]
    return []  # macOS, Linux on ARM: the public wheels are CPU builds


def resolved_version(requirement: str) -> str:
    """The torch version the configured index would install (a dry run: metadata only, nothing downloaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                        "--no-deps", "--report", str(report), requirement], check=True)
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    return installs[0]["metadata"]["version"]


def main(argv: list[str]) -> int:
    (requirement,) = argv
    print("\n".join(install_options(platform.system(), platform.machine(), resolved_version(requirement))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
