#!/usr/bin/env bash
# Installs checkov (the policy suite runs it on the plan JSON of every AWS stack) from PyPI into a
# project-local virtualenv, .tools/checkov (ignored by git), at a pinned version; every package it
# pulls in is pinned by constraints.txt beside this script. Reused when the pinned version is
# already there. Needs Python >= 3.9 (python3.11 preferred, the version constraints.txt was made
# with; PGFORKS_PYTHON picks another interpreter).
#
# Without Python or PyPI this says so and exits 1; the checkov tests then report NOT RUN.
set -euo pipefail
# shellcheck source=../script-usage.sh
source "$(dirname "$0")/../script-usage.sh"
script_usage "$0" "$@"
readonly CHECKOV_VERSION=3.3.30

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.tools/checkov"

# One install at a time: a second run (e.g. two clones' CI at once) waits, then reuses the result.
mkdir -p "$root/.tools"
exec 9>"$root/.tools/checkov.lock"
flock 9

# Written last by a successful install (checkov --version alone takes seconds to start).
stamp="$venv/installed-version"
if [[ -x "$venv/bin/checkov" ]] && [[ "$(cat "$stamp" 2>/dev/null)" == "$CHECKOV_VERSION" ]]; then
  echo "checkov: $CHECKOV_VERSION in .tools/checkov (reused)"
  exit 0
fi

python="${PGFORKS_PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then
      python="$candidate"
      break
    fi
  done
fi
if [[ -z "$python" ]] || ! "$python" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  echo "checkov: no Python >= 3.9 with venv found (set PGFORKS_PYTHON); checkov is not installed and its tests will report NOT RUN" >&2
  exit 1
fi

started=$SECONDS
echo "checkov: installing $CHECKOV_VERSION into .tools/checkov with $("$python" --version 2>&1) ..."
rm -rf "$venv"
"$python" -m venv "$venv"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
  -c "$here/constraints.txt" "checkov==$CHECKOV_VERSION" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  rm -rf "$venv"
  echo "checkov: pip install failed (above); checkov is not installed and its tests will report NOT RUN" >&2
  exit 1
fi
installed="$("$venv/bin/checkov" --version)"
echo "$installed" >"$stamp"
echo "checkov: $installed installed in $((SECONDS - started)) s"
