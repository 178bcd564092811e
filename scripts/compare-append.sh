#!/usr/bin/env bash
# Append the same signed events with two builds of the `custodia` command, in alternating rounds
# of the same run, and print the median time of each and their ratio: the cost of a change on
# append, measured against the previous release on this machine (the machines are noisy, so
# never compare against a figure from another run).
#
#   bash scripts/compare-append.sh OLD_CUSTODIA NEW_CUSTODIA [EVENTS [ROUNDS [BATCH]]]
#
# The events come from OLD's `synth` (the generator of the previous release, so both builds can
# read them); default 20 000 events, 5 rounds, batches of 1 000. Each round appends into a new
# ledger file under a temporary folder and checks that both builds end on the same Merkle root.
# With OWN_MIX=1 each build appends the events of its own `synth` instead (as many): the
# throughput of the current event mix against the previous one (the roots then differ).
set -euo pipefail
if [ $# -lt 2 ]; then
    sed -n '2,13p' "$0" >&2
    exit 2
fi
old="$(realpath "$1")"
new="$(realpath "$2")"
events="${3:-20000}"
rounds="${4:-5}"
batch="${5:-1000}"
for b in "$old" "$new"; do
    [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$old" synth --events "$events" --seed 1 > "$work/events-old.jsonl"
if [ "${OWN_MIX:-0}" = 1 ]; then
    "$new" synth --events "$events" --seed 1 > "$work/events-new.jsonl"
else
    cp "$work/events-old.jsonl" "$work/events-new.jsonl"
fi
"$new" keygen --out "$work/log.key" > /dev/null

# One append of the whole file into a fresh ledger; prints seconds, then the head's root.
append_once() {
    local bin="$1" events_file="$2" ledger="$work/ledger-$RANDOM.db"
    "$bin" init --ledger "$ledger" --log-key "$work/log.key" > /dev/null
    local t0 t1
    t0="$(date +%s.%N)"
    "$bin" append --ledger "$ledger" --log-key "$work/log.key" --batch-size "$batch" \
        "$events_file" > /dev/null
    t1="$(date +%s.%N)"
    local root
    root="$("$new" head --ledger "$ledger" | grep -o '"root":"[0-9a-f]*"' | cut -c9-24)"
    rm -f "$ledger" "$ledger"-*
    echo "$(echo "$t1 - $t0" | bc -l) $root"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

: > "$work/old.txt"
: > "$work/new.txt"
for r in $(seq "$rounds"); do
    read -r to ro < <(append_once "$old" "$work/events-old.jsonl")
    read -r tn rn < <(append_once "$new" "$work/events-new.jsonl")
    if [ "${OWN_MIX:-0}" != 1 ] && [ "$ro" != "$rn" ]; then
        echo "round $r: the two builds end on different Merkle roots ($ro, $rn)" >&2
        exit 1
    fi
    echo "$to" >> "$work/old.txt"
    echo "$tn" >> "$work/new.txt"
    printf 'round %s: old %.2f s, new %.2f s\n' "$r" "$to" "$tn"
done
mo="$(median < "$work/old.txt")"
mn="$(median < "$work/new.txt")"
cores="$(nproc)"
printf '\n| events | batch | cores | old median s | new median s | old events/s | new events/s | new / old time |\n'
printf '|---|---|---|---|---|---|---|---|\n'
printf '| %s | %s | %s | %.2f | %.2f | %.0f | %.0f | %.2f× |\n' "$events" "$batch" "$cores" \
    "$mo" "$mn" "$(echo "$events / $mo" | bc -l)" "$(echo "$events / $mn" | bc -l)" \
    "$(echo "$mn / $mo" | bc -l)"
