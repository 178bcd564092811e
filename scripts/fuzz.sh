#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 15), one after the other, on nightly:
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Seeds come from the repository (test vectors, the rule plugins' sample documents and
# modules, the note vectors) into fuzz/seeds/<target> (not committed; regenerated each run);
# what a run discovers stays in fuzz/corpus/<target> and crashes in fuzz/artifacts/<target>.
# The example plugins are built first (scripts/build-plugins.sh) for `plugin_host`. Each
# target's libFuzzer log is target/fuzz-logs/<target>.log; the summary line per target gives
# runs, exec/s and libFuzzer's final coverage (`cov:` edges, `ft:` features). Not part of CI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-15}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(decode_event replay history store proofs plugin_host)
fi
logs="$root/target/fuzz-logs"
mkdir -p "$logs"
cd "$root"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs nightly and cargo-fuzz: rustup toolchain install nightly;" \
        "cargo install cargo-fuzz" >&2
    exit 1
fi
if [[ " ${targets[*]} " == *" plugin_host "* ]] && ! ls target/plugins/*.json >/dev/null 2>&1; then
    bash scripts/build-plugins.sh
fi

# Seeds: one file per input, the first byte choosing the mode where a target has modes.
python3 - "$root" <<'PY'
import json, os, random, sys
root = sys.argv[1]
seeds = os.path.join(root, "fuzz", "seeds")
def put(target, name, data):
    d = os.path.join(seeds, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
def lines(name):
    doc = json.load(open(os.path.join(root, "docs", "vectors", name)))
    return [e["jsonl"] for e in doc.get("events", doc.get("cases", [])) if "jsonl" in e]
events, edges = lines("events.json"), lines("edge-cases.json")
for i, line in enumerate(events + edges):
    put("decode_event", f"vector-{i:03}", line.encode())
put("decode_event", "export", "\n".join(events[:25]).encode())
for prefix in (0, 5, 12, 20, 25):
    put("replay", f"prefix-{prefix}-edges", bytes([prefix]) + "\n".join(edges).encode())
    put("replay", f"prefix-{prefix}-vectors", bytes([prefix]) + "\n".join(events[prefix:]).encode())
rng = random.Random(2026)
for i in range(8):
    steps = bytes(rng.randrange(256) for _ in range(rng.choice((64, 256, 590))))
    put("history", f"random-{i}", steps)
    put("store", f"random-{i}", bytes([7]) + bytes(rng.randrange(256) for _ in range(8)) + steps)
def strings(v):
    if isinstance(v, str): yield v
    elif isinstance(v, list):
        for x in v: yield from strings(x)
    elif isinstance(v, dict):
        for x in v.values(): yield from strings(x)
note = json.load(open(os.path.join(root, "docs", "vectors", "note.json")))
for i, s in enumerate(strings(note)):
    put("proofs", f"note-{i:03}", b"\x02" + s.encode())
put("proofs", "add-checkpoint", b"\x02old 3\n" + b"A" * 43 + b"=\n\nexample.invalid/log\n4\n" + b"A" * 43 + b"=\n")
for i in range(8):
    put("proofs", f"generated-{i}", bytes([0]) + bytes(rng.randrange(256) for _ in range(24)))
    put("proofs", f"signed-{i}", bytes([3]) + bytes(rng.randrange(256) for _ in range(140)))
rules = os.path.join(root, "plugins", "rules")
for name in sorted(os.listdir(rules)):
    tests = os.path.join(rules, name, "tests")
    if os.path.isdir(tests):
        for doc in sorted(os.listdir(tests)):
            if doc.endswith(".json"):
                put("plugin_host", f"doc-{name}-{doc}", b"\x00" + open(os.path.join(tests, doc), "rb").read())
plugins = os.path.join(root, "target", "plugins")
if os.path.isdir(plugins):
    for f in sorted(os.listdir(plugins)):
        data = open(os.path.join(plugins, f), "rb").read()
        if f.endswith(".wasm"):
            put("plugin_host", f"module-{f}", b"\x01" + data)
        elif f.endswith(".json"):
            put("plugin_host", f"manifest-{f}", b"\x05" + data)
PY

summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "fuzz.sh: $t for ${seconds}s" >&2
    # A history costs a signed, appended event per step: shorter inputs, more of them.
    case "$t" in
    history | store) max_len=600 ;;
    *) max_len=4096 ;;
    esac
    # The targets that verify or open ledgers run the pipeline's scoped threads
    # (`store::pipeline`). A scoped thread tells the scope it is done before it has finished
    # exiting, so libFuzzer's leak check can run while that thread still holds its handle and
    # thread-locals, and report them as leaks (replaying such an input alone reports none).
    # Leak checking is off for those targets; a leak is not a memory-safety fault in Rust.
    case "$t" in
    decode_event | replay | store) leaks=0 ;;
    *) leaks=1 ;;
    esac
    status=0
    cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=60 -rss_limit_mb=4096 \
        -detect_leaks="$leaks" -print_final_stats=1 \
        >"$logs/$t.log" 2>&1 || status=$?
    last="$(grep -E '^#[0-9]+' "$logs/$t.log" | tail -n1 || true)"
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -n1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$t.log" | tail -n1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p' <<<"$last")"
    if [ "$status" -eq 0 ]; then verdict=ok; else verdict="FAILED (exit $status, see $logs/$t.log)"; fi
    summary+=("$(printf '%-13s %10s runs %8s exec/s  %-22s %s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$verdict")")
done
printf '%s\n' "${summary[@]}"
for line in "${summary[@]}"; do
    [[ "$line" == *FAILED* ]] && exit 1
done
exit 0
