#!/usr/bin/env bash
# Create or reuse .venv: exact pins from requirements.txt (torch CPU wheel first),
# ragfirst in editable mode, the course kernel and the offline-guard hook.
# A second run with unchanged requirements returns in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
die() { echo "ragfirst setup: $*" >&2; exit 1; }

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

key=$(cat requirements.txt pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)
stamp="$VENV/.ragfirst-setup-$key"
if [ -f "$stamp" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

PY=$(find_python) || die "Python 3.11 is required but was not found: install python3.11 (Debian/Ubuntu: 'apt install python3.11 python3.11-venv'; or 'pyenv install 3.11') and run make again."
"$PY" -c 'import venv, ensurepip' 2>/dev/null || die "Python 3.11 has no venv/ensurepip module: install python3.11-venv (Debian/Ubuntu: 'apt install python3.11-venv') and run make again."

if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "ragfirst setup: $VENV was made with another Python; recreating it"
  rm -rf "$VENV"
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"

pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@"; }
echo "ragfirst setup: installing pinned requirements into $VENV (first run only; a few minutes)"
torch_pin=$(grep -E '^torch==' requirements.txt)
# The CPU build first, so nothing pulls CUDA builds (scripts/torch_source.py says from where).
torch_options=$("$VENV/bin/python" scripts/torch_source.py "$torch_pin")
# shellcheck disable=SC2086  # the options are plain words, one per line
pip install -qq $torch_options "$torch_pin"
pip install -qq -r requirements.txt
if [ "$(uname -s)" = Linux ] && ! "$VENV/bin/python" -c 'import sys, torch; sys.exit(torch.version.cuda is not None)'; then
  die "the installed torch is a CUDA build; remove $VENV and run make again (scripts/torch_source.py chooses the CPU build)"
fi
pip install -qq --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m ipykernel install --sys-prefix --name ragfirst --display-name "Python 3.11 (ragfirst)" >/dev/null

# The offline guard is active in every interpreter of the venv when RAGFIRST_OFFLINE=1.
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "import ragfirst.runtime.netguard as _rg; _rg.install_from_env()" > "$site/ragfirst-netguard.pth"

rm -f "$VENV"/.ragfirst-setup-*
touch "$stamp"
echo "ragfirst setup: ready ($VENV)"
