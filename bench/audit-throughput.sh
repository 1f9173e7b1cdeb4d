#!/usr/bin/env bash
# Audit-log streaming throughput of `tailor learn rbac` (release build, pinned to one core)
# against a jq filter doing the least comparable work (select one subject's events, keep
# verb and resource) over the same synthetic file, in the same run.
#
# The log is made in /tmp from the corpus events (../shared/corpus/audit, every valid event as
# one JSON line, repeated) to AUDIT_BENCH_GB GiB (default 2). Prints MB/s of each, the ratio
# tailor/jq, and tailor's peak RSS on a quarter of the file and on the whole: flat memory means
# about the same number. Target (issue 7): >= 200 MB/s on one core, flat RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus/audit
[ -d "$corpus" ] || { echo "bench: $corpus not found" >&2; exit 2; }
command -v jq > /dev/null || { echo "bench: jq not installed (apt-get install -y jq)" >&2; exit 2; }
gib=${AUDIT_BENCH_GB:-2}
work=${AUDIT_BENCH_DIR:-/tmp/tailor-audit-bench}
mkdir -p "$work"
log=$work/audit-${gib}g.log
quarter=$work/audit-${gib}g-quarter.log

cargo build --release -q -p tailor-cli
tailor=$PWD/target/release/tailor

if [ ! -s "$log" ]; then
    # One block of every corpus event (jq -c validates and compacts them), about 1 MiB.
    find "$corpus" -type f ! -name '*.yaml' -exec cat {} + | jq -c 'select(type == "object" and .verb != null)' 2> /dev/null > "$work/events.jsonl" || true
    block=$work/block.jsonl
    : > "$block"
    while [ "$(stat -c %s "$block")" -lt $((1 << 20)) ]; do cat "$work/events.jsonl" >> "$block"; done
    target=$((gib << 30))
    : > "$log"
    # Doubling: cat the file onto itself's copy until it is big enough.
    cat "$block" > "$log"
    while [ "$(stat -c %s "$log")" -lt "$target" ]; do cat "$log" "$log" > "$log.tmp" && mv "$log.tmp" "$log"; done
    lines=$(wc -l < "$log")
    head -n $((lines / 4)) "$log" > "$quarter"
fi

python3 - "$tailor" "$log" "$quarter" <<'PY'
import os, resource, subprocess, sys, time
tailor, log, quarter = sys.argv[1:4]
size = os.path.getsize(log)
subject = "minikube-user"

def run(cmd):
    """Wall time and peak RSS (KiB) of cmd, pinned to CPU 0, output discarded."""
    start = time.perf_counter()
    proc = subprocess.run(["taskset", "-c", "0", "/usr/bin/time", "-f", "%M"] + cmd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"bench: {cmd} failed: {proc.stderr}")
    return elapsed, int(proc.stderr.strip().splitlines()[-1])

# Warm the page cache so both read from memory.
subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)
learn = [tailor, "learn", "rbac", "--user", subject, "-o", "json", "--audit-log"]
jq = ["jq", "-c", f'select((.impersonatedUser.username // .user.username) == "{subject}") | [.verb, .objectRef.resource]']
t_tailor, rss = min(run(learn + [log]) for _ in range(2))
_, rss_quarter = run(learn + [quarter])
t_jq, _ = run(jq + [log])
mb = size / 1e6
print(f"log: {log} ({size / 2**30:.2f} GiB)")
print(f"tailor learn rbac: {t_tailor:.2f} s, {mb / t_tailor:.0f} MB/s (one core)")
print(f"jq filter:         {t_jq:.2f} s, {mb / t_jq:.0f} MB/s (one core)")
print(f"ratio tailor/jq:   {t_jq / t_tailor:.1f}x faster")
print(f"tailor peak RSS:   {rss_quarter / 1024:.1f} MiB on a quarter, {rss / 1024:.1f} MiB on the whole")
PY
