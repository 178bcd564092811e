#!/usr/bin/env bash
# The benchmarks, each a ratio against a baseline measured in the same run (the machines are
# noisy): append, verify, signatures, decoding, proofs, trace/find/proofs at scale, find by
# marking at 10^6/10^7 items, what trust costs, and a WASM rule call against the same rule in
# native Rust. Release builds (the smoke run: debug builds, see below). Every bench prints its
# own tables; the run ends with one summary table (a row per target, with its baseline and
# ratio). `docs/PERFORMANCE.md` explains each.
#
#   bash scripts/bench.sh            full run (hours on 2 cores: the scale bench grows a
#                                    10^7-event ledger; CUSTODIA_SCALE_EVENTS=1000000 stops at
#                                    10^6, CUSTODIA_FIND_ITEMS_MAX=1000000 likewise for find)
#   bash scripts/bench.sh --smoke    every benchmark on a tiny ledger (part of the test command;
#                                    its figures are not measurements). Built with the `dev`
#                                    profile: it shares the test run's artifacts and keeps debug
#                                    assertions on, where a release build of the benches took
#                                    about 5 of CI's 26 minutes (392 s of 1,538 s)
#   bash scripts/bench.sh NAME...    only these benches (names as below), full size
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

mode=()
profile=()
smoke=0
if [ "${1:-}" = "--smoke" ]; then
    mode=(--quick)
    profile=(--profile dev)
    smoke=1
    shift
fi

core_benches=(append verify signatures decode verify_memory proofs scale find checkpoint)
if [ "$#" -gt 0 ]; then
    selected=("$@")
else
    selected=("${core_benches[@]}" rule_call)
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0
for b in "${selected[@]}"; do
    printf '\n== %s  [%d s]\n' "$b" "$SECONDS"
    case "$b" in
        verify_memory)
            if [ "$smoke" = 1 ]; then
                cargo bench "${profile[@]}" --quiet -p custodia --bench verify_memory -- --quick | tee "$out/$b.txt"
            else
                bash scripts/verify-memory.sh | tee "$out/$b.txt" || status=1
            fi
            ;;
        rule_call)
            if [ -f target/plugins/witnesses.wasm ]; then
                cargo bench "${profile[@]}" --quiet -p custodia-plugins --bench rule_call -- "${mode[@]}" | tee "$out/$b.txt"
            else
                echo "rule_call: NOT RUN: build the plugins first (bash scripts/build-plugins.sh)"
            fi
            ;;
        *)
            if [ ! -f "core/benches/$b.rs" ]; then
                echo "bench.sh: no bench named $b (core/benches/$b.rs)" >&2
                exit 2
            fi
            cargo bench "${profile[@]}" --quiet -p custodia --bench "$b" -- "${mode[@]}" | tee "$out/$b.txt" || status=1
            ;;
    esac
done

printf '\n## Summary (%s cores%s)\n\n' "$(nproc)" "$([ "$smoke" = 1 ] && echo ', SMOKE RUN on a debug build: not a measurement')"
printf '| measured | value | baseline (same run) | ratio | target |\n|---|---|---|---|---|\n'
cat "$out"/*.txt 2>/dev/null | awk -F '\t' '$1 == "SUMMARY" { printf "| %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6 }'
exit "$status"
