#!/usr/bin/env bash
# Peak memory and CPU use of verification against the length of a ledger whose state does not
# grow (issue 15, item 4): the steady-state generator (`Synth::steady`: a fixed stockpile moved
# between depots and counted) writes ledgers of each length, and each is verified in its own
# process, stored ledger then JSON lines export, under `/usr/bin/time -v`. Prints a markdown
# table. Not part of CI: 1 M events take a while to generate.
#
#   bash scripts/verify-memory.sh                       250 k, 500 k and 1 M events
#   bash scripts/verify-memory.sh 100000,200000,400000  other lengths
#   VERIFY_MEMORY_DIR=/some/dir bash scripts/...        keep (and reuse) the ledgers there
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR=never

sizes="${1:-250000,500000,1000000}"
dir="${VERIFY_MEMORY_DIR:-}"
if [ -z "$dir" ]; then
    dir="$(mktemp -d)"
    trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"

# VERIFY_MEMORY_BIN: a verify_memory bench binary built before (skips cargo).
bin="${VERIFY_MEMORY_BIN:-}"
if [ -z "$bin" ]; then
    bin="$(cargo bench -p custodia --bench verify_memory --no-run 2>&1 |
        sed -n 's/.*Executable .*verify_memory.rs (\(.*\))$/\1/p' | tail -n 1)"
fi
[ -x "$bin" ] || { echo "verify_memory bench binary not found" >&2; exit 1; }

missing=""
for n in ${sizes//,/ }; do
    [ -f "$dir/steady-$n.ledger" ] && [ -f "$dir/steady-$n.jsonl" ] || missing=1
done
if [ -n "$missing" ]; then
    echo "generating $sizes steady-state events in $dir" >&2
    "$bin" generate "$dir" "$sizes" >&2
fi

rm -f "$dir/summary.txt"
echo "verify memory: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| events | what | file MiB | events/s | peak RSS MiB | CPU (user+sys) / wall | one-thread control: CPU / wall |"
echo "|---|---|---|---|---|---|---|"
for n in ${sizes//,/ }; do
    for what in store jsonl; do
        case "$what" in
            store) file="$dir/steady-$n.ledger" ;;
            jsonl) file="$dir/steady-$n.jsonl" ;;
        esac
        # A one-thread control just before: on a shared machine, the share of a core a
        # single thread gets says what "CPU / wall" can reach (2 on 2 idle cores).
        control="$( { /usr/bin/time -f '%e %U %S' sha256sum "$file" >/dev/null; } 2>&1 | tail -n 1)"
        out="$(/usr/bin/time -v "$bin" "$what" "$file" 2>"$dir/time.txt")"
        python3 - "$n" "$what" "$file" "$out" "$dir/time.txt" "$control" <<'PY'
import os, re, sys
n, what, path, out, timefile, control = sys.argv[1:]
cw, cu, cs = (float(x) for x in control.split())
t = open(timefile).read()
def field(name):
    m = re.search(re.escape(name) + r": (.*)", t)
    return m.group(1).strip() if m else ""
rss_kib = int(field("Maximum resident set size (kbytes)"))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
wall = 0.0
for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
    wall = wall * 60 + float(part)
rate = re.search(r"([0-9]+) events/s", out).group(1)
print(f"| {int(n):,} | {what} | {os.path.getsize(path) / 2**20:.0f} | {int(rate):,} | {rss_kib / 1024:.0f} | {cpu / wall:.2f} | {(cu + cs) / cw:.2f} |")
# The row of scripts/bench.sh's summary table: peak RSS against the file's size.
with open(os.path.join(os.path.dirname(timefile), "summary.txt"), "a") as f:
    f.write(f"SUMMARY\tpeak RSS of verify ({what}), {int(n):,} events, steady state\t{rss_kib / 1024:.0f} MiB\tfile {os.path.getsize(path) / 2**20:.0f} MiB\t{rss_kib * 1024 / os.path.getsize(path):.2f}×\tbounded by the state, not the length\n")
PY
    done
done
# Printed after the table, for scripts/bench.sh to collect.
cat "$dir/summary.txt"
rm -f "$dir/summary.txt"
