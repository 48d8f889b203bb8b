#!/usr/bin/env bash
# Times the whole CLI loading a 100,000-record fixture: from process start until
# `serve --fixtures DIR` prints its address, plus resident memory (BENCHMARKS.md, "Loading a
# 100,000-record fixture"). The fixture is the one `benches/fixture_100k.rs` builds in memory,
# written to files: 20,000 accounts with `@ref`s and 80,000 contacts bound to them.
#
#   scripts/bench-fixture-start.sh [RUNS] [IDLE_SECONDS]
#
# IDLE_SECONDS (default 0) waits before each run, to see a start after the machine idled.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
idle=${2:-0}
records=${BENCH_RECORDS:-100000}

cargo build --release -q -p dataverse-emulator --bin dataverse-emulator
bin=target/release/dataverse-emulator
dir=$(mktemp -d)
out=$(mktemp)
trap 'rm -rf "$dir" "$out"' EXIT

python3 - "$dir" "$records" <<'PY'
import json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
a = max(n // 5, 1)
os.makedirs(os.path.join(root, "data"))
def dump(path, value):
    with open(os.path.join(root, path), "w") as f:
        json.dump(value, f)
dump("fixture.json", {"formatVersion": 1, "data": ["data/accounts.json", "data/contacts.json"]})
dump("data/accounts.json", {"table": "account", "records": [
    {"@ref": f"a{i}", "name": f"Account {i}", "accountnumber": f"B-{i:06}", "address1_city": "Redmond", "revenue": 1000 + i}
    for i in range(a)]})
dump("data/contacts.json", {"table": "contact", "records": [
    {"firstname": "Pat", "lastname": f"Contact {i}", "emailaddress1": f"c{i}@example.com",
     "parentcustomerid_account@odata.bind": f"@a{i % a}"}
    for i in range(n - a)]})
PY

echo "serve --fixtures with $records records, $runs runs, ${idle}s idle before each"
for _ in $(seq "$runs"); do
  sleep "$idle"
  : > "$out"
  start=$(date +%s.%N)
  "$bin" serve --host 127.0.0.1 --port 0 --fixtures "$dir" > "$out" 2>&1 &
  pid=$!
  until grep -q "http://127.0.0.1" "$out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$out"; exit 1; }
    sleep 0.005
  done
  end=$(date +%s.%N)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v s="$start" -v e="$end" -v r="$rss" 'BEGIN { printf "start to listening %.3f s, resident %.0f MB\n", e - s, r / 1024 }'
done
