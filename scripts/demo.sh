#!/usr/bin/env bash
# The main job: builds the rule plugins and the `custodia` command, creates an embedded SQLite
# ledger of a synthetic national stockpile with the example rules in force, and verifies it.
# The demo writes the ledger's log key beside it as LEDGER.log-key (mode 0600): appending
# needs it (`--log-key`), verifying and reading do not.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ledger="${1:-demo.ledger}"

bash scripts/build-plugins.sh
cargo build --release --quiet -p custodia-cli
custodia="$root/target/release/custodia"

# A fresh demo each run: the ledger, SQLite's journal files, and the old log key.
rm -f "$ledger" "$ledger-wal" "$ledger-shm" "$ledger.log-key"
"$custodia" --ledger "$ledger" --plugins target/plugins demo
"$custodia" --ledger "$ledger" --plugins target/plugins verify
"$custodia" --ledger "$ledger" head
