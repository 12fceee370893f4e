"""The install files agree, and setup failures are one clear line."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import yaml

from ragfirst.runtime.config import REPO_ROOT


def _requirement_lines() -> list[str]:
    lines = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_requirements_are_exact_pins_with_the_cpu_torch():
    lines = _requirement_lines()
    assert all("==" in line for line in lines), [line for line in lines if "==" not in line]
    assert "torch==2.13.0" in lines


def test_environment_yml_mirrors_requirements():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: section"
    assert sorted(pip_lists[0]) == sorted(_requirement_lines())


def _fake_bin(tmp_path: Path, python_script: str) -> dict:
    """A PATH with coreutils and a fake python3.11 whose behaviour we choose."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "cat", "sha256sum", "cut", "dirname", "rm", "touch", "grep"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    for name in ("python3.11", "python3"):
        fake = bin_dir / name
        fake.write_text("#!/bin/bash\n" + python_script)
        fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def _run_bootstrap(tmp_path: Path, python_script: str) -> subprocess.CompletedProcess:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in ("requirements.txt", "pyproject.toml", "scripts/bootstrap.sh"):
        shutil.copy(REPO_ROOT / name, repo / name)
    return subprocess.run(
        ["bash", str(repo / "scripts/bootstrap.sh")],
        env=_fake_bin(tmp_path, python_script), capture_output=True, text=True, timeout=60,
    )


def test_wrong_python_version_stops_with_one_line(tmp_path):
    result = _run_bootstrap(tmp_path, "exit 1\n")  # fails the version check, like Python 3.12
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Python 3.11 is required" in result.stderr
    assert not (tmp_path / "repo/.venv").exists()


def test_missing_venv_module_stops_with_one_line(tmp_path):
    script = 'case "$*" in *ensurepip*) exit 1;; *) exit 0;; esac\n'
    result = _run_bootstrap(tmp_path, script)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "python3.11-venv" in result.stderr


def test_ci_runs_exactly_make_test():
    run = (REPO_ROOT / ".ci/run").read_text(encoding="utf-8")
    commands = [l for l in run.splitlines() if l.strip() and not l.startswith("#")]
    assert commands[-1].strip() == "make test"
    assert os.access(REPO_ROOT / ".ci/run", os.X_OK)


def test_readme_gives_the_two_commands():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make lab" in readme and "make test" in readme


def _torch_source():
    import importlib.util

    spec = importlib.util.spec_from_file_location("torch_source", REPO_ROOT / "scripts" / "torch_source.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_linux_x86_laptops_take_torch_from_the_cpu_index_unless_their_index_serves_the_cpu_build():
    source = _torch_source()
    assert source.install_options("Linux", "x86_64", "2.13.0") == ["--index-url", "https://download.pytorch.org/whl/cpu"]
    assert source.install_options("Linux", "x86_64", "2.13.0+cpu") == []  # contact nothing else
    assert source.install_options("Darwin", "arm64", "2.13.0") == []
    assert source.install_options("Linux", "aarch64", "2.13.0") == []


def test_the_installed_torch_is_a_cpu_build():
    import platform

    import torch

    if platform.system() == "Linux":
        assert torch.version.cuda is None, f"torch {torch.__version__} is a CUDA build: setup must install the CPU one"
