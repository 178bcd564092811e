#!/usr/bin/env bash
# Mutation testing (cargo-mutants) on a fixed sample of core's integrity code: the Merkle log,
# the signed envelope, the ledger's rules, the store and the verification of an export. The
# sample is every Nth mutant of each group in cargo-mutants' listing order (N per group below),
# run in one cargo-mutants invocation (one baseline build) against the test files that
# exercise those modules. Not part of CI: it takes about 80 minutes on two shared cores.
#
#   bash scripts/mutants.sh          # run the sample
#   bash scripts/mutants.sh --list   # only list it
#   CUSTODIA_MUTANTS_SAMPLE=2 bash scripts/mutants.sh   # the second sample: the mutants
#                                    # halfway between those of the first
#
# Results: target/mutants/sample-K/mutants.out/{caught,missed,timeout,unviable}.txt (or
# $CUSTODIA_MUTANTS_OUT). A missed mutant in code that guards integrity needs a test
# (core/tests/mutants.rs) or a note saying why it is equivalent; docs/SECURITY.md lists the
# last run's numbers.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${CUSTODIA_MUTANTS_OUT:-$root/target/mutants/sample-${CUSTODIA_MUTANTS_SAMPLE:-1}}"
timeout="${CUSTODIA_MUTANTS_TIMEOUT:-180}"
which="${CUSTODIA_MUTANTS_SAMPLE:-1}"
cd "$root"
# Tests that read reference data beside the repository find it from the copy cargo-mutants
# builds in.
if [ -z "${CUSTODIA_SHARED_DIR:-}" ]; then
    for dir in "$root/../shared" "$root/../../shared"; do
        if [ -d "$dir" ]; then
            export CUSTODIA_SHARED_DIR="$(cd "$dir" && pwd)"
            break
        fi
    done
fi

if ! cargo mutants --version >/dev/null 2>&1; then
    echo "mutants.sh: cargo-mutants is missing: cargo install cargo-mutants --locked" >&2
    exit 1
fi

# group  every-Nth  files
groups=(
    "merkle   20 core/src/merkle/*.rs"
    "envelope 16 core/src/envelope/*.rs"
    "ledger   30 core/src/ledger/**/*.rs"
    "store    40 core/src/store/*.rs"
    "verify    3 core/src/verify.rs"
)
tests=(--lib --test merkle --test trust --test proof_oracles --test tamper --test hostile_input
    --test vectors --test jcs --test ed25519_speccheck --test schema_agreement
    --test decode_oracles --test front_door --test ledger_rules --test model_based --test store
    --test mutants)

files=()
sample="$(mktemp)"
trap 'rm -f "$sample"' EXIT
for g in "${groups[@]}"; do
    read -r name every glob <<<"$g"
    files+=(--file "$glob")
    cargo mutants -p custodia --file "$glob" --list 2>/dev/null |
        awk -v n="$every" -v k="$which" '(NR - 1) % n == (k - 1) * int(n / 2)' >>"$sample"
done
echo "mutants.sh: $(wc -l <"$sample") mutants in the sample" >&2
if [ "${1:-}" = "--list" ]; then
    cat "$sample"
    exit 0
fi
# One regular expression naming each sampled mutant exactly.
re="$(python3 -c 'import re,sys; print("^(" + "|".join(re.escape(l.rstrip("\n")) for l in open(sys.argv[1]) if l.strip()) + ")$")' "$sample")"
mkdir -p "$out"
# cargo-mutants exits non-zero when a mutant is missed; the files below are the result.
# The copy starts from this checkout's target directory, so dependencies are not rebuilt.
cargo mutants -p custodia "${files[@]}" --re "$re" --jobs 1 --timeout "$timeout" \
    --copy-target=true --output "$out" -- "${tests[@]}" || true
for kind in caught missed timeout unviable; do
    printf '%-8s %s\n' "$kind" "$(wc -l <"$out/mutants.out/$kind.txt" 2>/dev/null || echo 0)"
done
