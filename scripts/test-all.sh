#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property and in-process HTTP tests), then the
# conformance suites, which drive real clients against a freshly started emulator binary:
# the npm client `dynamics-web-api` and Microsoft's Python SDK `PowerPlatform-Dataverse-Client`,
# and the raw-HTTP scenario corpus (conformance-tests/scenarios, played by conformance-runner).
# Each part prints a per-operation table; conformance-tests/tools/report.py then writes
# conformance-tests/report.json and ends the run with one line "N passed, N failed".
# The browser part drives the web dashboard in Debian's headless chromium (installed with apt when
# missing and run as root).
# Needs the Rust toolchain, Node 20 and npm, and Python 3.10+ with venv and pip (packages from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> cargo test (workspace)"
cargo build --locked -p dataverse-emulator --bin dataverse-emulator -p conformance-runner --bin conformance-runner
cargo test --locked --workspace

# The conformance parts all run, even when one fails; the summary decides the exit status.
results=conformance-tests/results
rm -rf "$results"
mkdir -p "$results"
failed_parts=()

echo "==> conformance: dynamics-web-api 2.5.0 (node --test)"
export DATAVERSE_EMULATOR_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/dataverse-emulator"
(
  cd conformance-tests/node
  npm ci --no-audit --no-fund --loglevel=error
  # `npm test`'s runner (it trusts the emulator's local CA) plus a reporter writing the
  # per-test results for the summary.
  node lib/run.mjs --test-reporter-destination=stdout \
    --test-reporter=./lib/summary-reporter.mjs --test-reporter-destination=../results/node.json
) || failed_parts+=("node")

echo "==> browser: the web dashboard and main.aspx in headless chromium (playwright-core)"
# Debian's chromium, driven through playwright-core (which downloads no browser of its own).
# Installed here when missing and this run may use apt; the tests report it missing otherwise.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(
  cd conformance-tests/browser
  npm ci --no-audit --no-fund --loglevel=error
  # Screenshots land in conformance-tests/results/screenshots/ as the run's artifacts.
  npm test
) || failed_parts+=("browser")

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
"$venv/bin/python" -m pytest -q conformance-tests/python --junitxml="$results/python.xml" -o junit_family=xunit1 || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests in conformance-tests/python" >&2
  exit 1
fi
[ "$status" -eq 0 ] || failed_parts+=("python")

echo "==> conformance: raw-HTTP scenarios (conformance-runner)"
# With DATAVERSE_URL set the runner plays the live org too (its known_difference marks describe
# the emulator, so they don't apply there) and prints the org-vs-emulator diff.
"${CARGO_TARGET_DIR:-$PWD/target}/debug/conformance-runner" --spawn "$DATAVERSE_EMULATOR_BIN" --report "$results/scenarios.json" \
  ${DATAVERSE_URL:+--ignore-known-differences --diff-report "$results/scenarios-diff.json"} \
  || failed_parts+=("scenarios")

echo "==> conformance summary"
if [ "${#failed_parts[@]}" -gt 0 ]; then
  echo "failing conformance parts: ${failed_parts[*]}"
fi
summary=0
python3 conformance-tests/tools/report.py combine || summary=$?
[ "${#failed_parts[@]}" -eq 0 ] || exit 1
exit "$summary"
