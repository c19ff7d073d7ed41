#!/usr/bin/env bash
# Real-client suite: builds `iamctl`, installs the pinned AWS clients into a virtualenv under
# target/, and runs test_clients.py (which starts and stops its own `iamctl serve` processes
# on free loopback ports). Exits non-zero when the venv cannot be built or any test fails.
#
#   crates/iam-server/tests/clients/run.sh [pytest args...]
#
# Environment: CARGO_TARGET_DIR (default target/), PYTHON (default python3),
# IAMCTL_BIN (skip the build and test this binary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"

target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/clients-venv"
python="${PYTHON:-python3}"

if [ -z "${IAMCTL_BIN:-}" ]; then
  cargo build -p iam-cli --bin iamctl
  IAMCTL_BIN="$target/debug/iamctl"
fi
export IAMCTL_BIN

stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --cache-dir "$target/pip-cache" -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$stamp"
fi

# The suite must never reach AWS or pick up the caller's AWS configuration.
for name in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$name"; done
export PYTHONDONTWRITEBYTECODE=1

exec "$venv/bin/python" -m pytest -p no:cacheprovider -q "$here/test_clients.py" "$@"
