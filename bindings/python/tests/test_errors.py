"""Every error family, triggered for real, and bad input of every shape: each raises its
family's class, names the field (or argument), and leaves the ledger unchanged."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

import custodia
from custodia.testing import SYNTH_ADMIN

from conftest import BASE_EVENTS, LATE, Base, sqlite_tamper, state, unsigned_item_registration

FAMILY_CLASSES = {
    "input": custodia.InputError,
    "validation": custodia.ValidationError,
    "custody": custodia.CustodyError,
    "authorisation": custodia.AuthorisationError,
    "signature": custodia.SignatureError,
    "rule": custodia.RuleViolation,
    "integrity": custodia.IntegrityError,
    "storage": custodia.StorageError,
    "usage": custodia.UsageError,
}


def test_class_hierarchy() -> None:
    for cls in FAMILY_CLASSES.values():
        assert issubclass(cls, custodia.CustodiaError)
        assert issubclass(cls, Exception)
    for cls in (custodia.InputError, custodia.ValidationError, custodia.CustodyError):
        assert issubclass(cls, ValueError)
    assert issubclass(custodia.UsageError, TypeError) and issubclass(custodia.UsageError, ValueError)


def test_every_code_maps_to_its_family_class_and_pickles() -> None:
    from custodia._errors import _from_core

    for code, name, family in custodia.error_codes():
        e = _from_core(f"{name} [{code}]", code=code, name=name, family=family, message=name,
                       index=3, event_id="ab" * 32, field="/lots/0", values={"x": 1})
        assert type(e) is FAMILY_CLASSES[family]
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is type(e) and str(back) == str(e)
        assert (back.code, back.name, back.index, back.field, back.values) == (code, name, 3, "/lots/0", {"x": 1})


# ---- input (1xxx) ---------------------------------------------------------------------------


def test_input_text_that_is_not_json(ledger_copy: custodia.Ledger) -> None:
    before = state(ledger_copy)
    for text in ("this is not json", b"{\"kind\": ", "\n\n{]\n"):
        with pytest.raises(custodia.InputError) as e:
            ledger_copy.append(text)
        assert e.value.name == "JsonMalformed" and e.value.code == 1002
        assert e.value.index == 0
        assert {"line", "column"} <= e.value.values.keys()
    assert state(ledger_copy) == before


def test_input_wrong_types_name_the_field(ledger_copy: custodia.Ledger, base: Base) -> None:
    before = state(ledger_copy)
    lot = copy.deepcopy(next(e for e in base.events if e["kind"] == "register_lot"))
    lot["lot"]["quantity"] = "12"
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append([lot])
    assert e.value.name == "SchemaViolation"
    assert e.value.field == "/lot/quantity"
    assert "integer" in e.value.message
    negative = copy.deepcopy(lot)
    negative["lot"]["quantity"] = -5
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append([negative])
    assert e.value.field == "/lot/quantity"
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append([42])
    assert e.value.field == "" and "object" in e.value.message
    assert state(ledger_copy) == before


def test_input_python_values_that_are_not_json(ledger_copy: custodia.Ledger, base: Base) -> None:
    before = state(ledger_copy)
    event = copy.deepcopy(base.events[-1])
    event["lots"] = [{"lot": "lot:x", "quantity": 1.5e400}]  # inf
    for bad, field in [
        ({"kind": {1, 2}}, "/kind"),
        ({"parents": [object()]}, "/parents/0"),
        ({"a/b": {"c~d": float("nan")}}, "/a~1b/c~0d"),
        ({"q": 2**70}, "/q"),
        ({1: "x"}, ""),
        (event, "/lots/0/quantity"),
    ]:
        with pytest.raises(custodia.InputError) as e:
            ledger_copy.append([base.events[-1], bad])
        assert e.value.name == "FieldInvalid"
        assert e.value.field == field
        assert e.value.index == 1
    deep: Any = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append([{"deep": deep}])
    assert "nest" in e.value.message
    assert state(ledger_copy) == before


def test_input_missing_members(ledger_copy: custodia.Ledger, base: Base) -> None:
    before = state(ledger_copy)
    for member in ("at", "actor", "kind", "signatures"):
        event = copy.deepcopy(base.events[-1])
        del event[member]
        with pytest.raises(custodia.InputError) as e:
            ledger_copy.append([event])
        # The front door names the missing member by its own JSON Pointer.
        assert e.value.field == f"/{member}"
        assert f'"{member}"' in e.value.message
    no_id = copy.deepcopy(base.events[-1])
    del no_id["id"]
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append([no_id])
    assert e.value.name in ("IdMissing", "SchemaViolation")
    assert state(ledger_copy) == before


def test_input_an_edited_event_no_longer_matches_its_id(ledger_copy: custodia.Ledger, base: Base) -> None:
    before = state(ledger_copy)
    event = copy.deepcopy(base.next)
    event["at"] = "2026-12-31T23:59:59Z"
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append(event)
    assert e.value.name == "IdMismatch"
    assert e.value.values["claimed"] == event["id"]
    assert state(ledger_copy) == before


def test_input_empty_batch(ledger_copy: custodia.Ledger) -> None:
    with pytest.raises(custodia.InputError) as e:
        ledger_copy.append([])
    assert e.value.name == "BatchEmpty"


# ---- validation (2xxx) ----------------------------------------------------------------------


def test_validation_duplicate_event(ledger_copy: custodia.Ledger, base: Base) -> None:
    before = state(ledger_copy)
    with pytest.raises(custodia.ValidationError) as e:
        ledger_copy.append(base.events[5])
    assert e.value.name == "DuplicateEvent"
    assert e.value.values["event"] == base.events[5]["id"]
    assert state(ledger_copy) == before


def test_validation_unknown_reference(ledger_copy: custodia.Ledger, keys: Callable[[str], custodia.Key]) -> None:
    event = unsigned_item_registration()
    event["site"] = "depot:99"
    with pytest.raises(custodia.ValidationError) as e:
        ledger_copy.sign(event, keys("unit:log-bn-1"))
    assert e.value.name == "UnknownReference"
    assert e.value.values["value"] == "depot:99"
    assert e.value.field == "/site"


# ---- custody (3xxx) -------------------------------------------------------------------------


def _held_lot(ledger: custodia.Ledger, custodian: str) -> Dict[str, Any]:
    lines = [l for l in ledger.stock_on_hand()["lines"]
             if l["kind"] == "lot" and l["custodian"] == custodian and l["condition"] == "serviceable"]
    return max(lines, key=lambda l: l["units"])


def test_custody_moving_more_than_held(ledger_copy: custodia.Ledger, keys: Callable[[str], custodia.Key]) -> None:
    before = state(ledger_copy)
    line = _held_lot(ledger_copy, "unit:log-bn-1")
    dispatch = {
        "kind": "transfer_dispatch", "at": LATE, "actor": "unit:log-bn-1",
        "from": {"site": line["site"], "custodian": "unit:log-bn-1"},
        "to": {"site": "depot:02", "custodian": "unit:log-bn-2"},
        "lots": [{"lot": line["stock"], "quantity": line["units"] + 1}],
    }
    with pytest.raises(custodia.CustodyError) as e:
        ledger_copy.record(dispatch, keys("unit:log-bn-1"))
    assert e.value.name == "InsufficientStock" and e.value.code == 3001
    assert e.value.values["available"] == line["units"]
    assert e.value.values["requested"] == line["units"] + 1
    assert e.value.field == "/lots/0/quantity"
    assert state(ledger_copy) == before


def test_custody_a_non_custodian_cannot_move_stock(ledger_copy: custodia.Ledger, keys: Callable[[str], custodia.Key]) -> None:
    line = _held_lot(ledger_copy, "unit:log-bn-1")
    dispatch = {
        "kind": "transfer_dispatch", "at": LATE, "actor": "unit:log-bn-2",
        "from": {"site": line["site"], "custodian": "unit:log-bn-1"},
        "to": {"site": "depot:02", "custodian": "unit:log-bn-2"},
        "lots": [{"lot": line["stock"], "quantity": 1}],
    }
    with pytest.raises(custodia.CustodyError) as e:
        ledger_copy.sign(dispatch, keys("unit:log-bn-2"))
    assert e.value.name == "NotCustodian"


# ---- authorisation (4xxx) -------------------------------------------------------------------


def test_authorisation_missing_role(ledger_copy: custodia.Ledger, keys: Callable[[str], custodia.Key]) -> None:
    key = custodia.Key.generate()
    register = {
        "kind": "register_actor", "at": LATE, "actor": "unit:log-bn-1",
        "subject": {"id": "person:intruder", "kind": "person", "name": "Intruder",
                    "roles": ["admin"], "keys": [key.public_key]},
    }
    with pytest.raises(custodia.AuthorisationError) as e:
        ledger_copy.record(register, keys("unit:log-bn-1"))
    assert e.value.name == "MissingRole" and e.value.code == 4001
    assert e.value.values["role"] == "admin"


# ---- signature (5xxx) -----------------------------------------------------------------------


def test_signature_bad_signature(ledger_copy: custodia.Ledger, base: Base) -> None:
    before = state(ledger_copy)
    event = copy.deepcopy(base.next)
    sig = event["signatures"][0]["sig"]
    event["signatures"][0]["sig"] = ("1" if sig[0] == "0" else "0") + sig[1:]
    with pytest.raises(custodia.SignatureError) as e:
        ledger_copy.append([event])
    assert e.value.name == "BadSignature"
    assert e.value.field == "/signatures/0"
    assert e.value.event_id == event["id"]
    assert state(ledger_copy) == before


def test_signature_wrong_key(ledger_copy: custodia.Ledger) -> None:
    with pytest.raises(custodia.SignatureError) as e:
        ledger_copy.record(unsigned_item_registration(), custodia.Key.generate())
    assert e.value.family == "signature"


# ---- rule (6xxx) ----------------------------------------------------------------------------


def test_rule_denied_and_rules_not_loaded(
    ledger_copy: custodia.Ledger, plugins_dir: Path, admin_key: custodia.Key,
    keys: Callable[[str], custodia.Key],
) -> None:
    rules = custodia.RuleSet.load(plugins_dir)
    marking = [r for r in rules.refs() if r["name"] == "marking"]
    assert marking
    ledger_copy.set_rules(rules)
    ledger_copy.put_rules_in_force(marking, SYNTH_ADMIN, admin_key, at=LATE)
    assert [r["name"] for r in ledger_copy.rules_in_force()] == ["marking"]
    before = state(ledger_copy)
    # Stock on hand without a serial number is refused (a seized weapon would be recorded with a
    # warning and marked later, ITI §9).
    no_serial = unsigned_item_registration(origin="stock_on_hand", serial=None)
    with pytest.raises(custodia.RuleViolation) as e:
        ledger_copy.record(no_serial, keys("unit:log-bn-1"))
    assert e.value.name == "RuleDenied" and e.value.code == 6001
    assert e.value.values["code"] == "MARKING_INCOMPLETE"
    assert e.value.values["rule"] == "marking"
    assert state(ledger_copy) == before
    # A complete marking passes the rule.
    ledger_copy.record(unsigned_item_registration(), keys("unit:log-bn-1"))
    assert ledger_copy.verify().ok
    # Without the engine, nothing is appended while rules are in force.
    ledger_copy.set_rules(None)
    before = state(ledger_copy)
    with pytest.raises(custodia.RuleViolation) as e:
        ledger_copy.record(unsigned_item_registration("item:test-2", serial="TP-2"), keys("unit:log-bn-1"))
    assert e.value.name == "RulesNotLoaded"
    assert state(ledger_copy) == before


def test_rule_plugin_that_cannot_be_loaded(tmp_path: Path) -> None:
    with pytest.raises(custodia.RuleViolation) as e:
        custodia.RuleSet.load(tmp_path / "nowhere")
    assert e.value.name == "PluginLoad"
    (tmp_path / "junk.wasm").write_bytes(b"\x00asm junk")
    with pytest.raises(custodia.RuleViolation) as e:
        custodia.Plugin.load(tmp_path / "junk.wasm")
    assert e.value.name == "PluginLoad"
    assert e.value.values["path"] == str(tmp_path / "junk.wasm")


def test_rule_plugin_whose_config_is_refused(plugins_dir: Path) -> None:
    # The Argentina-style rule checks its configuration when loaded (`validate_config`).
    module = plugins_dir / "destruction_ar.wasm"
    assert custodia.Plugin.load(module.with_suffix(".json")).name == "destruction-ar"
    bad = {"agency": "anmac", "methods": {"firearm": ["cutting"]}}
    with pytest.raises(custodia.RuleViolation) as e:
        custodia.Plugin.load(module, config=bad)
    assert e.value.name == "PluginConfigRefused" and e.value.code == 6200
    assert e.value.values["plugin"] == "destruction-ar"
    assert e.value.values["field"] == "/agency"
    assert e.value.values["code"] == "CONFIG_INVALID"


# ---- integrity (7xxx) -----------------------------------------------------------------------


def test_integrity_a_stored_event_edited_behind_the_ledgers_back(ledger_copy: custodia.Ledger, base: Base) -> None:
    path = Path(ledger_copy.path or "")
    ledger_copy.close()
    # Backdate event 700 by a year in the file.
    sqlite_tamper(
        path,
        "UPDATE events SET json = CAST(replace(CAST(json AS TEXT), '\"at\":\"2026-', '\"at\":\"2025-') AS BLOB) WHERE seq = ?",
        700,
    )
    with custodia.Ledger.open(path) as ledger:
        report = ledger.verify()
        assert not report.ok and not bool(report)
        assert report.index == 700
        assert report.event_id is not None
        # The front door re-reads the event and finds that its content no longer hashes to
        # its `id` member: IdMismatch, filed under input (1008), at the event's position.
        assert report.name == "IdMismatch" and report.code == 1008
        assert isinstance(report.failure, custodia.InputError)
        assert report.failure.code == report.code and report.failure.index == 700
        assert report.failure.values["claimed"] == base.events[700]["id"]
        assert repr(report).startswith("VerifyReport(ok=False")
        with pytest.raises(custodia.CustodiaError) as e:
            report.raise_for_failure()
        assert e.value is report.failure


def test_integrity_whitespace_added_to_a_stored_event(ledger_copy: custodia.Ledger) -> None:
    path = Path(ledger_copy.path or "")
    ledger_copy.close()
    sqlite_tamper(
        path,
        "UPDATE events SET json = CAST(replace(CAST(json AS TEXT), '\"kind\":', '\"kind\": ') AS BLOB) WHERE seq = ?",
        700,
    )
    with custodia.Ledger.open(path) as ledger:
        report = ledger.verify()
        assert not report.ok
        # The same event in other bytes: what is stored must be exactly what was hashed.
        assert report.code == 1009 and report.index == 700


def test_integrity_a_row_replaced_with_another_event(ledger_copy: custodia.Ledger, base: Base) -> None:
    path = Path(ledger_copy.path or "")
    ledger_copy.close()
    other = json.dumps(base.events[3], separators=(",", ":"), sort_keys=True).encode()
    sqlite_tamper(path, "UPDATE events SET json = ? WHERE seq = ?", other, 900)
    with custodia.Ledger.open(path) as ledger:
        report = ledger.verify()
    assert not report.ok
    assert report.family == "integrity"
    assert isinstance(report.failure, custodia.IntegrityError)
    assert report.index == 900
    assert report.name == "IdColumn" and report.code == 7001
    assert report.failure.values["stored"] == base.events[900]["id"]
    with pytest.raises(custodia.IntegrityError) as e:
        report.raise_for_failure()
    assert e.value.index == 900


# ---- storage (8xxx) -------------------------------------------------------------------------


def test_storage_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a ledger at all\n" * 100)
    with pytest.raises(custodia.StorageError) as e:
        custodia.Ledger.open(text)
    assert e.value.name == "NotALedger" and e.value.code == 8003
    assert e.value.values["path"] == str(text)
    assert text.read_text() == "not a ledger at all\n" * 100
    import sqlite3

    other_db = tmp_path / "other.sqlite"
    with sqlite3.connect(other_db) as c:
        c.execute("CREATE TABLE t (x)")
    with pytest.raises(custodia.StorageError) as e:
        custodia.Ledger.open(other_db)
    assert e.value.name == "NotALedger"
    assert "application id" in e.value.message


def test_storage_missing_file(tmp_path: Path) -> None:
    with pytest.raises(custodia.StorageError) as e:
        custodia.Ledger.open(tmp_path / "missing.ledger")
    assert e.value.name == "FileNotFound"
    assert not (tmp_path / "missing.ledger").exists()


# ---- usage (9xxx) ---------------------------------------------------------------------------


def test_usage_wrong_argument_types_name_the_argument(reader: custodia.Ledger) -> None:
    calls = [
        (lambda: custodia.Ledger.open(42), "path"),  # type: ignore[arg-type]
        (lambda: custodia.Ledger.create("x.ledger", "not a key"), "key"),  # type: ignore[arg-type]
        (lambda: reader.append(42), "events"),  # type: ignore[arg-type]
        (lambda: reader.sign([{}], "key"), "keys"),  # type: ignore[arg-type]
        (lambda: reader.prove(123), "event_id"),  # type: ignore[arg-type]
        (lambda: reader.prove("zz"), "event_id"),
        (lambda: reader.consistency(-1), "first"),
        (lambda: reader.events("a"), "start"),  # type: ignore[arg-type]
        (lambda: reader.iter_events(chunk_size=0), "chunk_size"),
        (lambda: reader.trace(""), "stock"),
        (lambda: reader.lineage("not a lot id!"), "lot"),
        (lambda: reader.find(None), "serial"),  # type: ignore[arg-type]
        (lambda: reader.balances(site=5), "site"),  # type: ignore[arg-type]
        (lambda: reader.stock_on_hand(hazard_division="2.1"), "hazard_division"),
        (lambda: custodia.Key.from_seed(b"short"), "seed"),
        (lambda: custodia.rules.test(42, {}), "plugin"),  # type: ignore[arg-type]
    ]
    for call, argument in calls:
        with pytest.raises(custodia.UsageError) as e:
            call()
        assert e.value.name == "InvalidArgument", argument
        assert e.value.field == argument
        assert isinstance(e.value, TypeError) and isinstance(e.value, ValueError)


def test_usage_proofs_out_of_range(reader: custodia.Ledger) -> None:
    with pytest.raises(custodia.UsageError) as e:
        reader.prove("ab" * 32)
    assert e.value.name == "EventNotFound"
    with pytest.raises(custodia.UsageError) as e:
        reader.consistency(0)
    assert e.value.name == "BadRange"
    with pytest.raises(custodia.UsageError) as e:
        reader.consistency(5, BASE_EVENTS + 1)
    assert e.value.name == "SizeOutOfRange"


def test_usage_a_panic_is_a_custodia_error() -> None:
    with pytest.raises(custodia.UsageError) as e:
        custodia._custodia._panic_for_tests()
    assert e.value.name == "Panic" and e.value.code == 9009
    assert "on purpose" in e.value.message
