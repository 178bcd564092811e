//! ABI version 2 against the real ledger: a SQLite ledger file, wasmtime, and the example
//! rules `stock_check_frequency` and `serial_uniqueness` compiled from source
//! (`scripts/build-plugins.sh`, to `target/plugins/v2/`), with a probe plugin (WAT) that asks
//! the three other questions and reports every answer as a warning. Each query is answered from
//! the ledger just before the judged event (a registration does not find itself), and the
//! answers — so the verdicts — at verify time equal those at append time; an event the rules
//! deny that was slipped into a history fails verification; a malformed question is refused
//! with its own code and changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use custodia::event::{
    LotQuantity, Place, RegisterActor, RegisterItems, RegisterLot, RegisterSite, Seizure,
    StatusChange, StockCheck, TransferDispatch,
};
use custodia::model::*;
use custodia::rules::{RuleEngine, RuleOutcome, RuleQueries, RuleRef, RuleWarning};
use custodia::{Body, ErrorCode, Event, Ledger, Options, SignedEvent, Signer};
use custodia_plugins::{Input, Limits, Manifest, PluginHost, RuleSet};
use serde_json::{Value, json};

fn plugins_dir() -> PathBuf {
    let dir = std::env::var_os("CUSTODIA_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/plugins"));
    assert!(
        dir.join("v2/serial_uniqueness.wasm").exists(),
        "`{}` has no ABI v2 plugins: run `scripts/build-plugins.sh` first",
        dir.display()
    );
    dir
}

/// A probe (ABI v2) asking, on every event, what the config names: the holdings of site
/// `/site` (warning `HOLDINGS`, the JSON answer or `rcN`), the days since the seizure of item
/// `/item` (`SEIZED`) and since the inspection of lot `/lot` (`INSPECTED`), each a number or
/// `rcN` for the code returned. Arguments are JSON Pointers into the config (doc 1).
const PROBE: &str = r#"(module
  (import "custodia" "warn" (func $warn (param i32 i32 i32 i32)))
  (import "custodia" "site_holdings" (func $holdings (param i32 i32 i32 i32 i32) (result i32)))
  (import "custodia" "days_since_seizure" (func $seized (param i32 i32 i32 i32) (result i32)))
  (import "custodia" "days_since_inspection" (func $inspected (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "/site")
  (data (i32.const 8) "/item")
  (data (i32.const 16) "/lot")
  (data (i32.const 32) "HOLDINGS")
  (data (i32.const 48) "SEIZED")
  (data (i32.const 64) "INSPECTED")
  (data (i32.const 80) "rc")
  ;; Decimal text of $v at $at; returns its length.
  (func $itoa (param $v i64) (param $at i32) (result i32)
    (local $len i32) (local $tmp i64) (local $i i32)
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then
        (i32.store8 (local.get $at) (i32.const 45))
        (return (i32.add (i32.const 1)
          (call $itoa (i64.sub (i64.const 0) (local.get $v)) (i32.add (local.get $at) (i32.const 1)))))))
    (local.set $len (i32.const 1))
    (local.set $tmp (local.get $v))
    (block $done (loop $count
      (br_if $done (i64.lt_u (local.get $tmp) (i64.const 10)))
      (local.set $tmp (i64.div_u (local.get $tmp) (i64.const 10)))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (br $count)))
    (local.set $i (local.get $len))
    (local.set $tmp (local.get $v))
    (loop $write
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $at) (local.get $i))
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $tmp) (i64.const 10)))))
      (local.set $tmp (i64.div_u (local.get $tmp) (i64.const 10)))
      (br_if $write (i32.gt_s (local.get $i) (i32.const 0))))
    (local.get $len))
  ;; Warns `code` with the i64 at 512 when rc is 1, else with `rcN`.
  (func $report (param $code i32) (param $code_len i32) (param $rc i32)
    (if (i32.eq (local.get $rc) (i32.const 1))
      (then (call $warn (local.get $code) (local.get $code_len) (i32.const 1024)
                  (call $itoa (i64.load (i32.const 512)) (i32.const 1024))))
      (else
        (i32.store16 (i32.const 1024) (i32.load16_u (i32.const 80)))
        (call $warn (local.get $code) (local.get $code_len) (i32.const 1024)
              (i32.add (i32.const 2) (call $itoa (i64.extend_i32_s (local.get $rc)) (i32.const 1026)))))))
  (func (export "custodia_abi_version") (result i32) i32.const 2)
  (func (export "judge") (result i32)
    (local $n i32)
    (local.set $n (call $holdings (i32.const 1) (i32.const 0) (i32.const 5) (i32.const 2048) (i32.const 4096)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (call $warn (i32.const 32) (i32.const 8) (i32.const 2048) (local.get $n)))
      (else (call $report (i32.const 32) (i32.const 8) (local.get $n))))
    (call $report (i32.const 48) (i32.const 6)
      (call $seized (i32.const 1) (i32.const 8) (i32.const 5) (i32.const 512)))
    (call $report (i32.const 64) (i32.const 9)
      (call $inspected (i32.const 1) (i32.const 16) (i32.const 4) (i32.const 512)))
    i32.const 0))"#;

/// A plugin (ABI v2) whose question has a malformed JSON Pointer (`site/id`, no leading `/`).
const MALFORMED: &str = r#"(module
  (import "custodia" "last_full_count" (func $count (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "site/id")
  (func (export "custodia_abi_version") (result i32) i32.const 2)
  (func (export "judge") (result i32)
    (drop (call $count (i32.const 0) (i32.const 0) (i32.const 7) (i32.const 64) (i32.const 64)))
    i32.const 0))"#;

fn v2_plugin(host: &PluginHost, name: &str, wat: &str, config: Value) -> custodia_plugins::Plugin {
    let bytes = wat::parse_str(wat).unwrap();
    let mut m = Manifest::new(
        name,
        "0.1.0",
        "TEST",
        &format!("{name}.wasm"),
        &bytes,
        config,
    );
    m.abi_version = 2;
    host.load(m, &bytes).unwrap()
}

/// The rules: the two example rules of ABI v2 (configs as built), and the probe.
fn rule_set() -> RuleSet {
    let host = PluginHost::new(Limits::default()).unwrap();
    let mut set = RuleSet::load_dir(&host, &plugins_dir().join("v2")).unwrap();
    set.insert(v2_plugin(
        &host,
        "probe",
        PROBE,
        json!({"site": "depot:central", "item": "item:s1", "lot": "lot:g1"}),
    ));
    assert_eq!(set.refs().len(), 3, "{set:?}");
    set
}

/// Keeps the warnings every allowed event got, by event id: at append, and again when the
/// ledger is verified.
struct Recorder {
    rules: RuleSet,
    seen: Mutex<BTreeMap<String, Vec<RuleWarning>>>,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Recorder {
            rules: rule_set(),
            seen: Mutex::new(BTreeMap::new()),
        })
    }
    fn take(&self) -> BTreeMap<String, Vec<RuleWarning>> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl RuleEngine for Recorder {
    fn judge(&self, rules: &[RuleRef], input: &Value) -> Result<Vec<RuleWarning>, RuleOutcome> {
        self.rules.judge(rules, input)
    }
    fn judge_queried(
        &self,
        rules: &[RuleRef],
        input: &Value,
        queries: &dyn RuleQueries,
    ) -> Result<Vec<RuleWarning>, RuleOutcome> {
        let verdict = self
            .rules
            .judge_all(rules, &Input::new(input.clone()), Some(queries));
        if let Ok(w) = &verdict {
            let id = input["event"]["id"].as_str().unwrap().to_owned();
            self.seen.lock().unwrap().insert(id, w.clone());
        }
        verdict
    }
}

/// Allows everything: stands for software that skipped the rules.
struct Lax;
impl RuleEngine for Lax {
    fn judge(&self, _: &[RuleRef], _: &Value) -> Result<Vec<RuleWarning>, RuleOutcome> {
        Ok(Vec::new())
    }
}

fn at(day: u32) -> Timestamp {
    Timestamp::from_unix_seconds(1_767_225_600 + i64::from(day) * 86_400).unwrap()
}
fn date(day: u32) -> Date {
    Date::parse(&at(day).as_str()[..10]).unwrap()
}
fn a(s: &str) -> ActorId {
    s.parse().unwrap()
}
fn q(n: u64) -> Quantity {
    Quantity::new(n).unwrap()
}
fn key(name: &str) -> Signer {
    let mut seed = [0x3c; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    Signer::from_seed(seed)
}

fn record(
    ledger: &mut Ledger,
    day: u32,
    actor: &str,
    body: impl Into<Body>,
) -> custodia::Result<SignedEvent> {
    let k = key(actor);
    ledger.record(
        Event::new(at(day), a(actor), Vec::new(), body.into()),
        &[&k],
    )
}

/// A ledger file in a temporary folder, removed when the folder is dropped.
fn temp_ledger() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    (dir, path)
}

/// Actors and sites on day 0, then `refs` in force on day 1.
fn setup(ledger: &mut Ledger, refs: Vec<RuleRef>) {
    let actor = |id: &str, kind, member_of: Option<&str>, roles| Actor {
        id: a(id),
        kind,
        name: id.into(),
        member_of: member_of.map(a),
        roles,
        keys: vec![key(id).public_key()],
    };
    let genesis = actor(
        "agency:mod",
        ActorKind::Agency,
        None,
        vec![Role::Admin, Role::Authoriser],
    );
    record(ledger, 0, "agency:mod", RegisterActor { subject: genesis }).unwrap();
    for subject in [
        actor(
            "unit:depot",
            ActorKind::Unit,
            Some("agency:mod"),
            vec![Role::Custodian],
        ),
        actor(
            "unit:range",
            ActorKind::Unit,
            Some("agency:mod"),
            vec![Role::Custodian],
        ),
        actor(
            "person:inspector",
            ActorKind::Person,
            Some("agency:mod"),
            vec![Role::Inspector],
        ),
        actor("agency:police", ActorKind::Agency, None, vec![]),
        actor("agency:court", ActorKind::Agency, None, vec![]),
    ] {
        record(ledger, 0, "agency:mod", RegisterActor { subject }).unwrap();
    }
    for (id, kind) in [
        ("depot:central", SiteKind::Depot),
        ("range:r", SiteKind::Range),
    ] {
        let site = Site {
            id: id.parse().unwrap(),
            name: id.into(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: Some(q(1_000_000)),
            hazard_divisions: vec![HazardDivision::D1_1, HazardDivision::D1_4],
            two_person_rule: false,
        };
        record(ledger, 0, "agency:mod", RegisterSite { site }).unwrap();
    }
    ledger
        .put_rules_in_force(refs, &a("agency:mod"), at(1), &key("agency:mod"))
        .unwrap();
}

fn rifle(id: &str, manufacturer: &str, serial: &str) -> Item {
    Item {
        id: id.parse().unwrap(),
        category: ItemCategory::Firearm,
        item_type: "rifle".into(),
        marking: Marking {
            manufacturer: Some(manufacturer.into()),
            country_of_manufacture: Some("CO".into()),
            serial: Some(serial.into()),
            year: Some(1990),
            model: Some("R1".into()),
            calibre: Some("5.56x45mm".into()),
            import: None,
        },
        status: None,
        condition: None,
        disposition: None,
        att_category: None,
        hazard: None,
        neq_mg: None,
    }
}

fn register(items: Vec<Item>) -> RegisterItems {
    RegisterItems {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        origin: Origin {
            kind: OriginKind::Seized,
            reference: Some("CASE-7".into()),
            import: None,
        },
        items,
    }
}

fn dispatch(units: u64) -> TransferDispatch {
    TransferDispatch {
        from: Place {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
        },
        to: Place {
            site: "range:r".parse().unwrap(),
            custodian: a("unit:range"),
        },
        items: vec![],
        lots: vec![LotQuantity {
            lot: "lot:g1".parse().unwrap(),
            quantity: q(units),
        }],
        reference: None,
    }
}

fn full_count(booked: u64) -> StockCheck {
    StockCheck {
        site: "depot:central".parse().unwrap(),
        custodian: a("unit:depot"),
        lots: vec![LotCount {
            lot: "lot:g1".parse().unwrap(),
            booked: q(booked),
            counted: q(booked),
        }],
        items: ["item:s1", "item:n1"]
            .iter()
            .map(|i| ItemCount {
                item: i.parse().unwrap(),
                present: true,
                observed_serial: None,
            })
            .collect(),
        scope: None,
        blind: None,
        counters: vec![],
    }
}

/// What a refused append leaves: length and tree head.
fn snapshot(ledger: &Ledger) -> (u64, custodia::TreeHead) {
    (ledger.len().unwrap(), ledger.tree_head().unwrap())
}

fn refused(ledger: &mut Ledger, day: u32, actor: &str, body: impl Into<Body>) -> custodia::Error {
    let before = snapshot(ledger);
    let e = record(ledger, day, actor, body).unwrap_err();
    assert_eq!(
        snapshot(ledger),
        before,
        "a refused event changed the ledger"
    );
    e
}

fn denied_code(e: &custodia::Error) -> (String, String) {
    assert_eq!(e.code(), ErrorCode::RuleDenied, "{e}");
    (
        e.values()["rule"].as_str().unwrap().to_owned(),
        e.values()["code"].as_str().unwrap().to_owned(),
    )
}

fn warning(warnings: &[RuleWarning], code: &str) -> String {
    warnings
        .iter()
        .find(|w| w.rule == "probe" && w.code == code)
        .map(|w| w.message.clone())
        .unwrap_or_else(|| panic!("no `{code}` in {warnings:?}"))
}

#[test]
fn queries_answer_from_the_ledger_before_the_event_at_append_and_at_verify() {
    let (_dir, path) = temp_ledger();
    let engine = Recorder::new();
    let mut ledger = Ledger::create(
        &path,
        Options::new().log_key(key("log")).rules(engine.clone()),
    )
    .unwrap();
    let refs = engine.rules.refs();
    setup(&mut ledger, refs);

    // Day 2: a lot of 100 grenades, 1.1, 200 g each. The probe judged the registration on the
    // ledger before it: nothing held at the depot yet, the item and the lot not registered.
    let lot = Lot {
        id: "lot:g1".parse().unwrap(),
        nomenclature: "grenade".into(),
        lot_number: "G-1".into(),
        unit: Unit::Piece,
        quantity: q(100),
        hazard: Some(Hazard {
            division: HazardDivision::D1_1,
            group: CompatibilityGroup::D,
        }),
        neq_grams_per_unit: q(200),
        neq_mg: None,
        manufactured: None,
        next_inspection: None,
        expiry: None,
        status: None,
        condition: None,
        disposition: None,
        category: None,
    };
    let reg_lot = record(
        &mut ledger,
        2,
        "unit:depot",
        RegisterLot {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            origin: Origin {
                kind: OriginKind::StockOnHand,
                reference: None,
                import: None,
            },
            lot,
        },
    )
    .unwrap();
    let seen = engine.take();
    let w = &seen[&reg_lot.id().to_hex()];
    assert_eq!(warning(w, "HOLDINGS"), "[]");
    assert_eq!(warning(w, "SEIZED"), "rc-2");
    assert_eq!(warning(w, "INSPECTED"), "rc-2");

    // Day 3: a seized rifle. `serial_uniqueness` asks whether its marking is on the books:
    // the ledger before the registration does not hold it, so it does not find itself.
    record(
        &mut ledger,
        3,
        "unit:depot",
        register(vec![rifle("item:s1", "ACME", "S-1")]),
    )
    .unwrap();
    // The same marking again (other spacing and case) is refused, and changes nothing.
    let e = refused(
        &mut ledger,
        4,
        "unit:depot",
        register(vec![rifle("item:s2", "acme ", " s-1")]),
    );
    assert_eq!(
        denied_code(&e),
        (
            "serial_uniqueness".into(),
            "SERIAL_ALREADY_REGISTERED".into()
        )
    );
    // Two items of one registration with the same marking: refused too.
    let e = refused(
        &mut ledger,
        4,
        "unit:depot",
        register(vec![
            rifle("item:n1", "ACME", "N-1"),
            rifle("item:n2", "ACME", "N-1"),
        ]),
    );
    assert_eq!(denied_code(&e).1, "SERIAL_REPEATED");
    record(
        &mut ledger,
        4,
        "unit:depot",
        register(vec![rifle("item:n1", "ACME", "N-1")]),
    )
    .unwrap();

    // Day 5: the rifle is put under an evidence hold, seized on day 3.
    record(
        &mut ledger,
        5,
        "unit:depot",
        Seizure {
            site: "depot:central".parse().unwrap(),
            custodian: a("unit:depot"),
            items: vec!["item:s1".parse().unwrap()],
            lots: vec![],
            case: "CASE-7".into(),
            seized_by: a("agency:police"),
            seized_on: date(3),
            seized_at: "Calle 5".into(),
            held_for: a("agency:court"),
            reference: None,
        },
    )
    .unwrap();
    // Day 6: an inspector changes the lot's condition: its inspection.
    record(
        &mut ledger,
        6,
        "person:inspector",
        StatusChange {
            items: vec![],
            lots: vec!["lot:g1".parse().unwrap()],
            status: None,
            condition: Some(Condition::UnderRepair),
            disposition: None,
            reason: "surveillance: corrosion on fuzes".into(),
        },
    )
    .unwrap();
    record(
        &mut ledger,
        7,
        "person:inspector",
        StatusChange {
            items: vec![],
            lots: vec!["lot:g1".parse().unwrap()],
            status: None,
            condition: Some(Condition::Serviceable),
            disposition: None,
            reason: "fuzes replaced".into(),
        },
    )
    .unwrap();

    // Day 8: no full count of the depot yet: a dispatch is refused.
    let e = refused(&mut ledger, 8, "unit:depot", dispatch(10));
    assert_eq!(
        denied_code(&e),
        ("stock_check_frequency".into(), "STOCK_CHECK_MISSING".into())
    );
    // Day 10: a full count (never refused); day 30: the dispatch is allowed, and the probe
    // saw holdings, seizure and inspection as they were before it.
    record(&mut ledger, 10, "unit:depot", full_count(100)).unwrap();
    engine.take();
    let d = record(&mut ledger, 30, "unit:depot", dispatch(10)).unwrap();
    let seen = engine.take();
    let w = &seen[&d.id().to_hex()];
    assert_eq!(
        serde_json::from_str::<Value>(&warning(w, "HOLDINGS")).unwrap(),
        json!([{"division": "1.1", "units": 100, "neq_grams": 20000}])
    );
    assert_eq!(warning(w, "SEIZED"), "27");
    assert_eq!(warning(w, "INSPECTED"), "23");

    // Day 150: the last full count is 140 days old: refused; a count, then allowed.
    let e = refused(&mut ledger, 150, "unit:depot", dispatch(10));
    assert_eq!(denied_code(&e).1, "STOCK_CHECK_OVERDUE");
    record(&mut ledger, 151, "unit:depot", full_count(90)).unwrap();
    record(&mut ledger, 152, "unit:depot", dispatch(10)).unwrap();
    let appended = engine.take();
    assert_eq!(appended.len(), 2, "{appended:?}");
    // A full count on day 200, reversed by a correction on day 201: the last full count is
    // day 151's again, so a dispatch on day 250 (99 days after it) is refused.
    let count = record(&mut ledger, 200, "unit:depot", full_count(80)).unwrap();
    record(
        &mut ledger,
        201,
        "unit:depot",
        custodia::event::Correction {
            reverses: count.id(),
            reason: "counted the wrong store".into(),
        },
    )
    .unwrap();
    let e = refused(&mut ledger, 250, "unit:depot", dispatch(10));
    assert_eq!(denied_code(&e).1, "STOCK_CHECK_OVERDUE");
    assert!(
        e.values()["message"].as_str().unwrap().contains("99 days"),
        "{e}"
    );
    engine.take();
    let n = ledger.len().unwrap();
    drop(ledger);

    // Verify the file with fresh plugins: every event is judged again with the answers of the
    // ledger just before it, and gets the verdict and the warnings it got at append.
    let engine = Recorder::new();
    let reopened = Ledger::open(&path, Options::new().rules(engine.clone())).unwrap();
    let report = reopened.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, n);
    let at_verify = engine.take();
    assert_eq!(at_verify[&d.id().to_hex()], seen[&d.id().to_hex()]);
    for (id, warnings) in &appended {
        assert_eq!(&at_verify[id], warnings, "event {id}");
    }
    assert_eq!(
        at_verify.len() as u64,
        n - 9,
        "every event after the rules was judged"
    );
}

#[test]
fn a_history_with_an_event_the_queries_deny_fails_verification() {
    let (_dir, path) = temp_ledger();
    let refs = rule_set().refs();
    // Software that skipped the rules recorded a duplicate marking.
    let mut ledger = Ledger::create(
        &path,
        Options::new().log_key(key("log")).rules(Arc::new(Lax)),
    )
    .unwrap();
    setup(&mut ledger, refs);
    record(
        &mut ledger,
        3,
        "unit:depot",
        register(vec![rifle("item:s1", "ACME", "S-1")]),
    )
    .unwrap();
    record(
        &mut ledger,
        4,
        "unit:depot",
        register(vec![rifle("item:s2", "ACME", "S-1")]),
    )
    .unwrap();
    drop(ledger);
    let reopened = Ledger::open(&path, Options::new().rules(Arc::new(rule_set()))).unwrap();
    let report = reopened.verify().unwrap();
    assert!(!report.ok);
    let failure = report.failure.unwrap();
    assert_eq!(failure.code(), ErrorCode::RuleDenied, "{failure}");
    assert_eq!(failure.values()["code"], "SERIAL_ALREADY_REGISTERED");
    assert_eq!(
        report.events, 10,
        "the events before the slipped one verified"
    );
}

#[test]
fn a_malformed_question_is_refused_with_its_code_and_changes_nothing() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let mut set = RuleSet::new();
    set.insert(v2_plugin(&host, "malformed", MALFORMED, json!({})));
    let refs = set.refs();
    let (_dir, path) = temp_ledger();
    let mut ledger = Ledger::create(
        &path,
        Options::new().log_key(key("log")).rules(Arc::new(set)),
    )
    .unwrap();
    setup(&mut ledger, refs);
    let e = refused(
        &mut ledger,
        3,
        "unit:depot",
        register(vec![rifle("item:s1", "ACME", "S-1")]),
    );
    assert_eq!(e.code(), ErrorCode::RuleQueryInvalid, "{e}");
    assert_eq!(e.values()["rule"], "malformed");
    assert!(
        e.values()["detail"]
            .as_str()
            .unwrap()
            .contains("last_full_count"),
        "{e}"
    );
}

#[test]
fn a_version_1_module_importing_a_query_is_refused_at_load() {
    let host = PluginHost::new(Limits::default()).unwrap();
    let bytes = wat::parse_str(MALFORMED.replace("i32.const 2)", "i32.const 1)")).unwrap();
    let m = Manifest::new("old", "0.1.0", "TEST", "old.wasm", &bytes, json!({}));
    assert_eq!(m.abi_version, 1);
    match host.load(m, &bytes) {
        Err(custodia_plugins::LoadError::ForbiddenImport { module, import, .. }) => {
            assert_eq!(
                (module.as_str(), import.as_str()),
                ("custodia", "last_full_count")
            );
        }
        other => panic!("{other:?}"),
    }
}
