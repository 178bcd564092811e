#!/usr/bin/env bash
# The overhead of the C API: one append and one balance query through libcustodia against the
# same calls on custodia::Ledger in Rust, on identical ledgers, both built in release, in one
# run. Not part of CI (it builds wasmtime in release: several minutes on two cores).
#
#   scripts/bench-c.sh [N [SETUP]]    N timed calls of each kind (default 1000) after SETUP
#                                     synthetic events appended as one batch (default 2000)
#
# Each side appends the same N signed events one call per event (`append_json_lines`; the
# ledger runs SQLite with synchronous=FULL, so each append includes an fsync), then queries the
# balances of the same site N times (C: JSON string out and freed; Rust: typed rows, and rows
# serialised to JSON), then the balance of one stock there N times (a one-row answer: the fixed
# cost of a call). Prints mean microseconds per call and the C/Rust ratios.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
n="${1:-1000}"
setup="${2:-2000}"
target="${CARGO_TARGET_DIR:-$root/target}"
dir="$target/bench-c"
cc="${CC:-cc}"

# Two invocations: built together with an example, the library is not copied to target/release.
cargo build --release -p custodia-c
cargo build --release -p custodia-c --example bench_rust
mkdir -p "$dir"
"$cc" -std=c11 -O2 -Wall -Wextra -Werror -I"$root/bindings/c/include" bindings/c/bench/bench_c.c \
    -L"$target/release" -lcustodia -Wl,-rpath,"$target/release" -o "$dir/bench_c"
"$target/release/examples/bench_rust" prepare "$dir" "$setup" "$n"

# Alternate the two sides, twice, so that neither always runs on a warmer disk cache.
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for round in 1 2; do
    "$target/release/examples/bench_rust" run "$dir" | tee -a "$results"
    "$dir/bench_c" "$dir" | tee -a "$results"
done

awk -v n="$n" -v setup="$setup" '
    function val(line, key,   m) { if (match(line, key "=[0-9.]+")) return substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1); return "" }
    /^rust / { ra += val($0, "append_us"); rb += val($0, "balances_us"); rj += val($0, "balances_json_us"); nr++ }
    /^rust / { ro += val($0, "one_json_us") }
    /^c /    { ca += val($0, "append_us"); cb += val($0, "balances_us"); co += val($0, "one_us"); nc++ }
    END {
        ra /= nr; rb /= nr; rj /= nr; ro /= nr; ca /= nc; cb /= nc; co /= nc
        printf "\n%d timed calls of each kind after %d setup events, mean of %d runs per side (microseconds per call)\n", n, setup, nr
        printf "append          rust %9.1f   c %9.1f   c/rust %.3f   overhead %+.1f us\n", ra, ca, ca / ra, ca - ra
        printf "balances        rust %9.1f   c %9.1f   c/rust %.3f   (rust rows, no JSON)\n", rb, cb, cb / rb
        printf "balances (JSON) rust %9.1f   c %9.1f   c/rust %.3f   overhead %+.1f us\n", rj, cb, cb / rj, cb - rj
        printf "one stock (JSON) rust %8.1f   c %9.1f   c/rust %.3f   overhead %+.1f us\n", ro, co, co / ro, co - ro
    }' "$results"
