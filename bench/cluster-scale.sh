#!/bin/sh
# tailor check --cluster at scale: 20,000 objects (cycled from ../shared/corpus, renamed, each
# with its own uid) served over HTTPS by tailor-fake-apiserver, which answers like the API
# server (paged lists, continue tokens); prints the scan's peak RSS and wall time.
# Target: RSS < 200 MB. Usage: bench/cluster-scale.sh [COUNT]
set -eu
cd "$(dirname "$0")/.."
count=${1:-20000}
corpus=../shared/corpus
[ -d "$corpus" ] || { echo "SKIPPED: $corpus not found"; exit 0; }
cargo build -q --release -p tailor-cli --bin tailor
cargo build -q --release -p tailor-cluster --features fake-apiserver --bin tailor-fake-apiserver
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/tailor-fake-apiserver "$corpus" "$count" "$work/kubeconfig" >"$work/server.log" &
server=$!
while ! grep -q ready "$work/server.log" 2>/dev/null; do sleep 0.2; done
# Python's getrusage gives the child's peak RSS without GNU time.
python3 - "$work" "$count" <<'PY'
import json, resource, subprocess, sys, time
work, count = sys.argv[1], int(sys.argv[2])
start = time.monotonic()
run = subprocess.run(["target/release/tailor", "check", "--cluster", "-A", "--kubeconfig", f"{work}/kubeconfig",
                      "-o", "json", "--output-file", f"{work}/report.json"], stderr=subprocess.PIPE, text=True)
wall = time.monotonic() - start
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
report = json.load(open(f"{work}/report.json"))
s = report["summary"]
print(f"served {count} objects; reported {s['objects']} objects, {s['workloads']} workloads, "
      f"{s['findings']} findings, not_assessed {len(report['not_assessed'])}, exit {run.returncode}")
print(f"time {wall:.2f} s   peak RSS {rss_mb:.1f} MB   (target < 200 MB: {'ok' if rss_mb < 200 else 'OVER'})")
if run.returncode not in (0, 1):
    print(run.stderr[-2000:], file=sys.stderr)
    sys.exit(1)
PY
