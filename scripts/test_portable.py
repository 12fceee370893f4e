"""Run the model-dependent tests and notebooks under several CPU profiles (`make test-portable`).

torch picks its CPU kernels at run time and the thread count changes the order of
sums, so a stored digit or a tight tolerance can hold on one machine only. Each
profile forces torch's kernel choice (``ATEN_CPU_CAPABILITY``) and the thread count
of torch, OpenMP and the embedding engine. Every figure checked through
``ragfirst.runtime.claims`` is logged per profile; the report under reports/ shows its spread.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "RAGFIRST_TORCH_THREADS": "1", "RAGFIRST_EMBED_THREADS": "1"}
# avx2 exists only on x86-64; elsewhere force torch's portable kernels instead.
NARROW = "avx2" if platform.machine().lower() in {"x86_64", "amd64"} else "default"
PROFILES = {
    "defaults": {},
    f"{NARROW}, 1 thread": {"ATEN_CPU_CAPABILITY": NARROW, **ONE_THREAD},
}
# Slow tests load a model or start a server; conftest marks the model notebooks' cells slow too.
PYTEST_ARGS = ["-m", "slow", "-q"]


def run_profile(name: str, extra_env: dict[str, str], log: Path) -> int:
    log.unlink(missing_ok=True)
    env = {**os.environ, **extra_env, "RAGFIRST_CLAIMS_LOG": str(log)}
    print(f"== {name}: {' '.join(f'{k}={v}' for k, v in extra_env.items()) or '(no overrides)'}", flush=True)
    return subprocess.run([sys.executable, "-m", "pytest", *PYTEST_ARGS], cwd=REPO, env=env).returncode


def spread_report(logs: dict[str, Path]) -> str:
    values: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for name, log in logs.items():
        if log.exists():
            for line in log.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                values[(row["claim"], row["figure"])][name] = row["value"]
    lines = ["| claim | " + " | ".join(logs) + " | spread |", "|---" * (len(logs) + 2) + "|"]
    for (claim, figure), by_profile in sorted(values.items()):
        cells = [f"{by_profile[n]:.4g}" if n in by_profile else "–" for n in logs]
        spread = max(by_profile.values()) - min(by_profile.values())
        lines.append(f"| {claim} ({figure}) | " + " | ".join(cells) + f" | {spread:.4g} |")
    return "\n".join(lines)


def main() -> int:
    reports = REPO / "reports"
    reports.mkdir(exist_ok=True)
    logs = {name: reports / f"claims-{i}.jsonl" for i, name in enumerate(PROFILES)}
    failed = [name for name, env in PROFILES.items() if run_profile(name, env, logs[name]) != 0]
    report = spread_report(logs)
    (reports / "portable.md").write_text(f"# Checked figures per CPU profile\n\n{report}\n", encoding="utf-8")
    print(report)
    if failed:
        print(f"test-portable: failed under {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
