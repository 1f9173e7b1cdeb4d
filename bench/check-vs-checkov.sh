#!/usr/bin/env bash
# End-to-end benchmark of `tailor check` on ../shared/corpus, against two peers measured in
# the same run:
#   - checkov (PyPI), the established Kubernetes scanner, installed in bench/.venv;
#   - Tailor merely parsing the same files (`tailor debug-parse`): the YAML parser is the
#     physical limit, so check time / parse time says how much the analysis adds;
#   - `tailor pss` on the same files: the Pod Security pass alone (the foundation), so check
#     time / pss time says what the hardening rules cost (issue 3: <= 2x).
# Prints wall time, peak RSS and the ratios. Targets (issue 2): >= 100x faster than checkov,
# check <= 1.5x parse, < 200 MB RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
runs=${RUNS:-5}
[ -d "$corpus" ] || { echo "bench: corpus $corpus not found" >&2; exit 2; }

cargo build --release -q -p tailor-cli
tailor=target/release/tailor

if [ ! -x bench/.venv/bin/checkov ]; then
  echo "bench: installing checkov into bench/.venv (once)..." >&2
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q --disable-pip-version-check checkov
fi

# measure NAME RUNS CMD...: best wall time of RUNS runs and the peak RSS, via getrusage.
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
name, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
best = None
for _ in range(runs):
    start = time.perf_counter()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    elapsed = time.perf_counter() - start
    if rc not in (0, 1, 2):
        sys.exit(f"{name}: exit code {rc}")
    best = elapsed if best is None else min(best, elapsed)
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{name} {best:.4f} {rss_mb:.1f}")
PY
}

parse=$(measure parse "$runs" "$tailor" debug-parse "$corpus")
pss=$(measure pss "$runs" "$tailor" pss "$corpus")
check=$(measure check "$runs" "$tailor" check "$corpus" -o json)
checkov=$(measure checkov 1 bench/.venv/bin/checkov -d "$corpus" --framework kubernetes --quiet --compact -o json)

python3 - "$parse" "$pss" "$check" "$checkov" "$(du -sb "$corpus" | cut -f1)" <<'PY'
import sys
rows = [line.split() for line in sys.argv[1:5]]
size_mb = int(sys.argv[5]) / 1e6
t = {name: float(secs) for name, secs, _ in rows}
print(f"corpus: {size_mb:.1f} MB")
print(f"{'':<28}{'wall s':>10}{'peak RSS MB':>14}")
for name, secs, rss in rows:
    label = {"parse": "tailor debug-parse", "pss": "tailor pss", "check": "tailor check -o json", "checkov": "checkov"}[name]
    print(f"{label:<28}{float(secs):>10.3f}{float(rss):>14.1f}")
print(f"check throughput: {size_mb / t['check']:.1f} MB/s")
print(f"checkov / tailor check: {t['checkov'] / t['check']:.0f}x  (target >= 100x)")
print(f"tailor check / parse only: {t['check'] / t['parse']:.2f}x  (target <= 1.5x)")
print(f"tailor check / tailor pss (PSS pass alone): {t['check'] / t['pss']:.2f}x  (target <= 2x)")
PY
