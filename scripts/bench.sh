#!/usr/bin/env bash
# The benchmarks, each a ratio against a baseline measured in the same run (the machines are
# noisy): append, verify, signature checks (single vs batched), proofs, trace, find by marking, what trust costs, and a WASM rule call against the same
# rule in native Rust. Release builds. `docs/PERFORMANCE.md` explains each table.
#
#   bash scripts/bench.sh            full run (tens of minutes on 2 cores)
#   bash scripts/bench.sh --smoke    every benchmark on a tiny ledger (part of the test command)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

mode=()
smoke=0
if [ "${1:-}" = "--smoke" ]; then
    mode=(--quick)
    smoke=1
fi

benches=(append verify signatures proofs trace find)
for b in "${benches[@]}"; do
    printf '\n== %s\n' "$b"
    cargo bench --quiet -p custodia --bench "$b" -- "${mode[@]}"
done
if [ "$smoke" = 0 ]; then
    printf '\n== checkpoint\n'
    cargo bench --quiet -p custodia --bench checkpoint
    if [ -f target/plugins/witnesses.wasm ]; then
        printf '\n== rule_call\n'
        cargo bench --quiet -p custodia-plugins --bench rule_call
    else
        echo "rule_call: NOT RUN: build the plugins first (bash scripts/build-plugins.sh)"
    fi
fi
