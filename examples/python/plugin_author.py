"""A plugin author tests a national rule before it goes into force: the example `witnesses`
rule (a destruction needs witnesses from several agencies, all signing) against a few input
documents, under its shipped configuration and a stricter one.

    python examples/python/plugin_author.py [PLUGIN] [--plugins DIR]

PLUGIN is a manifest (.json) or module (.wasm); default: the `witnesses` plugin in DIR
(default target/plugins, built by scripts/build-plugins.sh).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import custodia
from custodia.rules import Plugin

ROOT = Path(__file__).resolve().parents[2]


def destruction(witnesses: List[Tuple[str, str]], signed_by: List[str]) -> Dict[str, Any]:
    """The ABI's input document for a destruction witnessed by (actor, agency) pairs."""
    return {
        "event": {
            "v": 1, "kind": "destruction", "at": "2026-06-15T14:00:00Z",
            "actor": "unit:demil-team-1", "parents": ["ab" * 32],
            "authorisation": "cd" * 32, "site": "range:la-cuchilla",
            "custodian": "unit:demil-team-1", "method": "cutting", "certificate": "CERT-2026-0117",
            "lots": [{"lot": "lot:762-044", "quantity": 12000}],
            "witnesses": [{"actor": a, "agency": g} for a, g in witnesses],
            "id": "ef" * 32, "signatures": [],
        },
        "signers": [{"actor": "unit:demil-team-1", "agency": "agency:army", "roles": ["operator"]}]
        + [{"actor": a, "agency": g, "roles": ["witness"]} for a, g in witnesses if a in signed_by],
    }


INSPECTOR = ("person:inspector-7", "agency:attorney-general")
OFFICER = ("person:officer-31", "agency:civil-police")
CLERK = ("person:clerk-2", "agency:attorney-general")

CASES = [
    # (what, context, expected verdict or denial code)
    ("two witnesses, two agencies, both signed", destruction([INSPECTOR, OFFICER], [INSPECTOR[0], OFFICER[0]]), "allow"),
    ("one witness", destruction([INSPECTOR], [INSPECTOR[0]]), "WITNESSES_TOO_FEW"),
    ("two witnesses of one agency", destruction([INSPECTOR, CLERK], [INSPECTOR[0], CLERK[0]]), "WITNESS_AGENCIES_TOO_FEW"),
    ("a witness who did not sign", destruction([INSPECTOR, OFFICER], [INSPECTOR[0]]), "WITNESS_NOT_SIGNED"),
]


def outcome(verdict: custodia.Verdict) -> str:
    return "allow" if verdict.allowed else str(verdict.code)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plugin", nargs="?", type=Path)
    parser.add_argument("--plugins", type=Path, default=ROOT / "target" / "plugins")
    args = parser.parse_args(argv)
    path = args.plugin or args.plugins / "witnesses.json"

    plugin = Plugin.load(path)
    print(f"{plugin.name} {plugin.version} ({plugin.jurisdiction}), identity {plugin.identity[:16]}…")
    print(f"config: {plugin.config}\n")
    failures = 0
    for what, context, expected in CASES:
        verdict = custodia.rules.test(plugin, context)
        ok = outcome(verdict) == expected
        failures += not ok
        detail = f"{verdict.code}: {verdict.message}" if not verdict.allowed else "allowed"
        print(f"  [{'ok' if ok else 'UNEXPECTED'}] {what:<42} {detail}")

    # The same rule with a stricter configuration is another plugin (another identity): a
    # ledger records which one was in force.
    strict = Plugin.load(path, config={**plugin.config, "witnesses_min": 3})
    three = destruction([INSPECTOR, OFFICER, CLERK], [INSPECTOR[0], OFFICER[0], CLERK[0]])
    two = copy.deepcopy(CASES[0][1])
    print(f"\nwith witnesses_min = 3 (identity {strict.identity[:16]}…):")
    for what, context, expected in [("three witnesses", three, "allow"), ("two witnesses", two, "WITNESSES_TOO_FEW")]:
        verdict = strict.judge(context)
        ok = outcome(verdict) == expected
        failures += not ok
        print(f"  [{'ok' if ok else 'UNEXPECTED'}] {what:<42} {outcome(verdict)}")

    # A context that is not an input document at all is reported, not judged.
    try:
        plugin.judge("{this is not json")
    except custodia.InputError as e:
        print(f"\nnot JSON: {type(e).__name__} {e.name} ({e.code}) in `{e.field}`")

    print(f"\n{len(CASES) + 2 - failures} of {len(CASES) + 2} cases as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
