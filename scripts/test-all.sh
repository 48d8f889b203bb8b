#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property and in-process HTTP tests), then the
# conformance suite, which drives the real npm client `dynamics-web-api` against a freshly
# started emulator binary. Needs only the Rust toolchain, Node 20 and npm.
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
