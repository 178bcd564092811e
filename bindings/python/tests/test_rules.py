"""Rule plugins for their authors: load, judge the sample contexts of every example rule,
override the configuration, and contain plugins that trap or loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import custodia
from custodia.rules import Plugin, RuleSet, Verdict

from conftest import RULE_CRATES


def sample_contexts() -> List[Tuple[str, Path]]:
    # Rules of ABI version 1: those of version 2 ask the ledger (their samples carry its
    # answers in a member `host`) and are checked by the Rust host's tests.
    return sorted(
        (crate.name, context)
        for crate in RULE_CRATES.iterdir()
        if json.loads((crate / "plugin.json").read_text())["abi_version"] == 1
        for context in (crate / "tests").glob("*.json")
    )


def test_rule_set_loads_every_plugin(plugins_dir: Path) -> None:
    rules = RuleSet.load(plugins_dir)
    manifests = sorted(plugins_dir.glob("*.json"))
    crates = [
        c
        for c in RULE_CRATES.iterdir()
        if (c / "Cargo.toml").is_file()
        and json.loads((c / "plugin.json").read_text())["abi_version"] == 1
    ]
    assert len(rules) == len(manifests) == len(crates) >= 6
    names = {p["name"] for p in rules.plugins}
    assert names == {json.loads(m.read_text())["name"] for m in manifests}
    refs = rules.refs()
    assert {r["name"] for r in refs} == names
    assert all(len(r["sha256"]) == 64 for r in refs)
    assert "marking" in repr(rules)


@pytest.fixture(scope="module")
def loaded(plugins_dir: Path) -> Dict[str, Plugin]:
    """Each example plugin, loaded once (compiling a module is the slow part)."""
    return {m.stem: Plugin.load(m) for m in sorted(plugins_dir.glob("*.json"))}


@pytest.mark.parametrize("crate,context", sample_contexts(), ids=lambda x: getattr(x, "name", x))
def test_sample_contexts(loaded: Dict[str, Plugin], crate: str, context: Path) -> None:
    """`allow.*.json` must be allowed; `CODE.*.json` and `deny.CODE.*.json` denied with CODE."""
    parts = context.name.split(".")
    expected = parts[1] if parts[0] == "deny" else parts[0]
    verdict = custodia.rules.test(loaded[crate], context)
    if expected == "allow":
        assert verdict.allowed and bool(verdict), verdict
        assert verdict.code is None and verdict.verdict == "allow"
    else:
        assert not verdict.allowed, verdict
        assert verdict.code == expected
        assert verdict.message
        assert verdict.to_dict()["code"] == expected


def test_contexts_as_dict_text_and_path_agree(plugins_dir: Path) -> None:
    plugin = Plugin.load(plugins_dir / "witnesses.json")
    context = RULE_CRATES / "witnesses" / "tests" / "WITNESSES_TOO_FEW.one-witness.json"
    text = context.read_text()
    verdicts = [
        plugin.judge(json.loads(text)),
        plugin.judge(text),
        plugin.judge(text.encode()),
        plugin.judge(context),
        custodia.rules.test(plugin, context),
        custodia.rules.test(str(plugins_dir / "witnesses.wasm"), context),
    ]
    assert {(v.allowed, v.code, v.message) for v in verdicts} == {
        (False, "WITNESSES_TOO_FEW", verdicts[0].message)
    }


def test_plugin_identity_and_config_override(plugins_dir: Path) -> None:
    plugin = Plugin.load(plugins_dir / "witnesses.json")
    assert (plugin.name, plugin.version, plugin.jurisdiction) == ("witnesses", "0.1.0", "EXAMPLE")
    assert plugin.config == {"witnesses_min": 2, "agencies_min": 2}
    in_set = {p["name"]: p["identity"] for p in RuleSet.load(plugins_dir).plugins}
    assert plugin.identity == in_set["witnesses"]
    lenient = Plugin.load(plugins_dir / "witnesses.json", config={"witnesses_min": 1, "agencies_min": 1})
    assert lenient.identity != plugin.identity
    context = RULE_CRATES / "witnesses" / "tests" / "WITNESSES_TOO_FEW.one-witness.json"
    assert not plugin.judge(context)
    assert lenient.judge(context).allowed
    assert "witnesses" in repr(plugin)


def test_warnings_are_reported(loaded: Dict[str, Plugin]) -> None:
    context = RULE_CRATES / "marking" / "tests" / "allow.recommended-missing-warns.json"
    verdict = custodia.rules.test(loaded["marking"], context)
    assert verdict.allowed
    assert verdict.warnings and all({"code", "message"} == w.keys() for w in verdict.warnings)
    assert isinstance(verdict, Verdict)
    assert verdict.to_dict()["warnings"] == verdict.warnings


def test_a_context_that_is_not_json(loaded: Dict[str, Plugin]) -> None:
    with pytest.raises(custodia.InputError) as e:
        custodia.rules.test(loaded["marking"], "{not json")
    assert e.value.name == "JsonMalformed"
    assert e.value.field == "context"
    with pytest.raises(custodia.UsageError) as e2:
        custodia.rules.test(loaded["marking"], 42)  # type: ignore[arg-type]
    assert e2.value.field == "context"


def _module(judge_body: bytes) -> bytes:
    """A minimal ABI v1 module, assembled by hand: exports `memory`, `custodia_abi_version`
    (returns 1) and `judge` with the given body."""

    def section(kind: int, payload: bytes) -> bytes:
        return bytes([kind, len(payload)]) + payload

    def name(s: str) -> bytes:
        return bytes([len(s)]) + s.encode()

    types = section(1, bytes([1, 0x60, 0, 1, 0x7F]))  # () -> i32
    funcs = section(3, bytes([2, 0, 0]))
    memory = section(5, bytes([1, 0, 1]))
    exports = section(
        7,
        bytes([3]) + name("memory") + bytes([2, 0]) + name("custodia_abi_version") + bytes([0, 0])
        + name("judge") + bytes([0, 1]),
    )
    version = bytes([0, 0x41, 1, 0x0B])  # i32.const 1
    body = bytes([0]) + judge_body + bytes([0x0B])
    code = section(10, bytes([2, len(version)]) + version + bytes([len(body)]) + body)
    return b"\x00asm\x01\x00\x00\x00" + types + funcs + memory + exports + code


@pytest.mark.parametrize(
    "body,failure",
    [
        (bytes([0x00]), "trap"),  # unreachable
        (bytes([0x03, 0x40, 0x0C, 0x00, 0x0B, 0x41, 0x00]), "budget"),  # loop br 0 end; i32.const 0
        (bytes([0x41, 0x07]), "malformed"),  # returns 7
    ],
)
def test_hostile_plugins_are_contained(tmp_path: Path, loaded: Dict[str, Plugin], body: bytes, failure: str) -> None:
    path = tmp_path / "hostile_rule.wasm"
    path.write_bytes(_module(body))
    plugin = Plugin.load(path)
    assert plugin.name == "hostile-rule" and plugin.jurisdiction == "LOCAL"
    with pytest.raises(custodia.RuleViolation) as e:
        plugin.judge({"event": {"kind": "destruction"}})
    assert e.value.name == "RuleFailed"
    assert e.value.values["failure"] == failure
    assert e.value.values["rule"] == "hostile-rule"
    # The host keeps working.
    context = RULE_CRATES / "witnesses" / "tests" / "allow.two-agencies.json"
    assert custodia.rules.test(loaded["witnesses"], context).allowed
