#!/usr/bin/env bash
# Recording overhead of `tailor record` against `strace -f -o /dev/null` (ptrace, the usual
# way to learn a program's syscalls), on the same syscall-heavy program, in one run:
#   plain      the program alone
#   strace     strace -f -o /dev/null PROGRAM
#   tailor     tailor record -o /dev/null -- PROGRAM
# Prints the best wall time of RUNS runs of each, and "tailor overhead / strace overhead",
# where overhead = time - plain time. Target (issue 4): <= 0.5.
# The default program makes ~400k syscalls (dd with 1-byte blocks: a read and a write each);
# pass another as arguments: bench/record-overhead.sh find /usr -xdev
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
if [ $# -gt 0 ]; then program=("$@"); else program=(dd if=/dev/zero of=/dev/null bs=1 count=200000 status=none); fi
command -v strace > /dev/null || { echo "bench: strace not installed (apt-get install strace)" >&2; exit 2; }

cargo build --release -q -p tailor-cli
tailor=target/release/tailor
"$tailor" record -o /dev/null -- /bin/true || { echo "bench: tailor record is not permitted here" >&2; exit 2; }

python3 - "$runs" "$tailor" "${program[@]}" <<'PY'
import subprocess, sys, time
runs, tailor, program = int(sys.argv[1]), sys.argv[2], sys.argv[3:]

def best(cmd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return min(times)

plain = best(program)
strace = best(["strace", "-f", "-o", "/dev/null", *program])
tailor_time = best([tailor, "record", "-o", "/dev/null", "--", *program])
print(f"program: {' '.join(program)}  (best of {runs})")
print(f"plain   {plain:8.4f} s")
print(f"strace  {strace:8.4f} s   overhead {strace - plain:8.4f} s  ({strace / plain:.1f}x)")
print(f"tailor  {tailor_time:8.4f} s   overhead {tailor_time - plain:8.4f} s  ({tailor_time / plain:.1f}x)")
ratio = (tailor_time - plain) / (strace - plain)
print(f"tailor overhead / strace overhead = {ratio:.2f}  (target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'})")
PY
