#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine with rustup's stable Rust, and
# installs what it needs: Debian's wasm32 Rust toolchain for the rule plugins (when rustup's
# wasm32 target is not installed), valgrind for the C tests, Python's `cryptography` for the
# independent checkers, a virtual environment with the Python package's test tools.
#
# The last line totals every suite: `N passed, 0 failed` (and what was not run, and why).
# Exits non-zero when anything failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n== %s  [%d s]\n' "$*" "$SECONDS" >&2; }

# Every runner's output also goes to these logs, to total the counts at the end: Rust's test
# harness (`log`) and the suites that count their own (`suites_log`: C, Python, benchmarks).
log="$(mktemp)"
suites_log="$(mktemp)"
trap 'rm -f "$log" "$suites_log"' EXIT
not_run=()

step "format"
cargo fmt --all -- --check

step "rule plugins to wasm32"
bash scripts/build-plugins.sh

step "the SDK and the rule crates natively (cargo test --offline, Rust 1.63 when installed)"
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
    native_cargo=(env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc /usr/bin/cargo)
else
    native_cargo=(cargo)
fi
native_crates=0
for crate in plugins/pdk plugins/rules/*/; do
    if [ "$crate" = plugins/pdk ] || compgen -G "$crate/tests/*.rs" >/dev/null; then
        (cd "$crate" && "${native_cargo[@]}" test --offline --quiet \
            --target-dir "$root/target/rules-native") >/dev/null
        native_crates=$((native_crates + 1))
    fi
done
echo "Native rule tests: $native_crates crates passed" | tee -a "$suites_log"

step "rule plugins are reproducible: built again from another folder, the same bytes"
elsewhere="$(mktemp -d)"
copy="$elsewhere/another/checkout"
mkdir -p "$copy/scripts"
cp scripts/build-plugins.sh "$copy/scripts/"
tar -C "$root" --exclude=target -cf - plugins/pdk plugins/rules | tar -C "$copy" -xf -
CUSTODIA_PLUGINS_DIR="$elsewhere/plugins" CUSTODIA_WASM_TARGET_DIR="$elsewhere/wasm" \
    bash "$copy/scripts/build-plugins.sh" 2>/dev/null
same=0
differ=0
for module in target/plugins/*.wasm target/plugins/v2/*.wasm; do
    if cmp -s "$module" "$elsewhere/plugins/${module#target/plugins/}"; then
        same=$((same + 1))
    else
        echo "FAIL  $(basename "$module"): another folder built other bytes" >&2
        differ=$((differ + 1))
    fi
done
rm -rf "$elsewhere"
echo "Reproducible rules: $same passed, $differ failed" | tee -a "$suites_log"
[ "$differ" -eq 0 ] && [ "$same" -ge 5 ] || { echo "rule plugins are not reproducible" >&2; exit 1; }

step "Python's cryptography, for the independent checkers of signatures and checkpoints"
if ! python3 -c 'import cryptography' 2>/dev/null; then
    python3 -m pip install --quiet cryptography
fi

step "workspace tests (core, storage, command line, plugin host)"
# The C API crate's own Rust tests run with the C tests, in scripts/test-c.sh.
cargo test --workspace --exclude custodia-c --no-fail-fast 2>&1 | tee -a "$log"

step "plugin SDK and rule crates, native tests"
for dir in plugins/pdk plugins/rules/*/; do
    cargo test --quiet --manifest-path "$dir/Cargo.toml" --target-dir "$root/target/rules-native" 2>&1 | tee -a "$log"
done

step "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "examples"
# The workspace tests above built the quickstart (`cargo test` builds every example); `cargo run
# -p custodia` would build it a second time with other features (another hash: a minute of CI).
quickstart=target/debug/examples/quickstart
if [ ! -x "$quickstart" ] || [ "$quickstart" -ot examples/quickstart.rs ]; then
    echo "$quickstart is missing or older than its source: the workspace tests did not build it" >&2
    exit 1
fi
"$quickstart" >/dev/null

step "C API: C tests and examples under valgrind, Java through FFM"
bash scripts/test-c.sh 2>&1 | tee -a "$suites_log"

if [ -f scripts/test-python.sh ]; then
    step "Python package: a fresh virtual environment, the built wheel, pytest"
    bash scripts/test-python.sh 2>&1 | tee -a "$suites_log"
fi

step "benchmarks, smoke run on a tiny ledger"
bash scripts/bench.sh --smoke 2>&1 | tee -a "$suites_log" || { echo "benchmark smoke run failed" >&2; exit 1; }

# Totals: Rust's test harness lines, and each suite's own `NAME: N passed, M failed` line.
rust=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
suites=$(sed -n 's/^\(C API\|Python\|Reproducible rules\): \([0-9]*\) passed.*/\2/p' "$suites_log" | awk '{s += $1} END {print s + 0}')
while IFS= read -r line; do
    not_run+=("$line")
done < <(cat "$log" "$suites_log" | sed -n 's/.*NOT RUN: \(.*\)/\1/p' | sort -u)
if grep -q "java example: skipped" "$suites_log"; then
    not_run+=("Java example (no JDK >= 22)")
fi
echo "all checks passed in $SECONDS s" >&2
total=$((rust + suites))
if [ "${#not_run[@]}" -gt 0 ]; then
    printf 'not run: %s\n' "${not_run[@]}"
    echo "$total passed, 0 failed, ${#not_run[@]} not run"
else
    echo "$total passed, 0 failed"
fi
