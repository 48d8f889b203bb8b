#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property and in-process HTTP tests), then the
# conformance suites, which drive real clients against a freshly started emulator binary:
# the npm client `dynamics-web-api` and Microsoft's Python SDK `PowerPlatform-Dataverse-Client`.
# Needs the Rust toolchain, Node 20 and npm, and Python 3.10+ with venv and pip (packages from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo test (workspace)"
cargo build --locked -p dataverse-emulator --bin dataverse-emulator
cargo test --locked --workspace

echo "==> conformance: dynamics-web-api 2.5.0 (node --test)"
export DATAVERSE_EMULATOR_BIN="$PWD/target/debug/dataverse-emulator"
(
  cd conformance-tests/node
  npm ci --no-audit --no-fund --loglevel=error
  npm test
)

echo "==> conformance: PowerPlatform-Dataverse-Client 1.1.0 (pytest)"
venv=conformance-tests/python/.venv
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "error: the Python SDK needs Python 3.10 or later; python3 is $(python3 --version 2>&1)" >&2; exit 1; }
# Reuse the venv when it still works; a venv whose interpreter moved is rebuilt.
if ! "$venv/bin/python" -c '' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
pip_start=$SECONDS
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r conformance-tests/python/requirements.txt
echo "pip install: $((SECONDS - pip_start)) s"
status=0
"$venv/bin/python" -m pytest -q conformance-tests/python || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests in conformance-tests/python" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
