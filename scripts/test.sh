#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine with rustup's stable Rust.
# Installs what it needs (Debian's wasm32 Rust toolchain for the rule plugins, when rustup's
# wasm32 target is not installed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n== %s\n' "$*" >&2; }

# Every test runner's output also goes to this log, to total the counts at the end.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

step "format"
cargo fmt --all -- --check

step "rule plugins to wasm32"
bash scripts/build-plugins.sh

step "workspace tests (core, storage, command line, plugin host)"
cargo test --workspace --no-fail-fast 2>&1 | tee -a "$log"

step "plugin SDK and rule crates, native tests"
for dir in plugins/pdk plugins/rules/*/; do
    cargo test --quiet --manifest-path "$dir/Cargo.toml" --target-dir "$root/target/rules-native" 2>&1 | tee -a "$log"
done

step "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "examples"
cargo run --quiet -p custodia --example quickstart >/dev/null
passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
echo "all checks passed" >&2
echo "$passed passed, 0 failed"
