//! `Ledger::rule_input`: the document the rule plugins are given for a stored event, rebuilt
//! from the events before it, is exactly the one the rule engine was given when the event was
//! appended; and it names the recording actor and each signer with their kind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use custodia::event::RuleRef;
use custodia::model::Status;
use custodia::rules::{RuleEngine, RuleOutcome, RuleWarning};
use custodia::{ErrorCode, EventId};
use serde_json::Value;

/// Allows everything and keeps every document it was given.
#[derive(Default)]
struct Recorder(Mutex<Vec<Value>>);

impl RuleEngine for Recorder {
    fn judge(&self, _rules: &[RuleRef], input: &Value) -> Result<Vec<RuleWarning>, RuleOutcome> {
        self.0.lock().unwrap().push(input.clone());
        Ok(Vec::new())
    }
}

#[test]
fn the_rebuilt_input_is_the_one_the_rules_were_given() {
    let mut w = World::new();
    w.record(ADMIN, rules_in_force(vec![a_rule()]));
    let engine = Arc::new(Recorder::default());
    w.ledger.set_rules(Some(engine.clone()));
    let d = w.record(
        UNIT_A,
        dispatch(A, B, &["item:r1"], vec![lq("lot:l1", 100)]),
    );
    let r = w.record(
        UNIT_B,
        receipt(d.id(), &["item:r1"], vec![lq("lot:l1", 100)]),
    );
    let auth = w.record(ADMIN, authorisation(&["item:r2"], vec![]));
    let seen = engine.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for (given, id) in seen.iter().zip([d.id(), r.id(), auth.id()]) {
        let rebuilt = w.ledger.rule_input(&id).unwrap();
        assert_eq!(&rebuilt, given, "event {id}");
        assert_eq!(rebuilt["event"]["id"], id.to_hex());
    }
    // The recording actor and the signers, with their kinds.
    let dispatched = &seen[0];
    assert_eq!(dispatched["actor"]["actor"], UNIT_A);
    assert_eq!(dispatched["actor"]["kind"], "unit");
    assert_eq!(dispatched["signers"][0]["kind"], "unit");
    assert_eq!(seen[2]["actor"]["kind"], "agency");
    // An event before the rules were in force has its document too; an unknown id has none.
    let first = w.journal[0].id();
    assert_eq!(
        w.ledger.rule_input(&first).unwrap()["event"]["kind"],
        "register_actor"
    );
    let err = w
        .ledger
        .rule_input(&EventId::from_bytes([7; 32]))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::EventNotFound);
}

#[test]
fn a_destruction_input_names_who_authorised_it() {
    // Separation of duties (the `separation_of_duties` example rule) compares the authoriser
    // with the destroyer and the witnesses: the authorisation carries its recording actor.
    let mut w = World::new();
    // Format version 2 destroys only stock declared surplus (or pending destruction).
    w.record(UNIT_A, status_change(&["item:r1"], &[], Status::Surplus));
    let d = w.record(UNIT_A, dispatch(A, R, &["item:r1"], vec![]));
    w.record(DEMIL, receipt(d.id(), &["item:r1"], vec![]));
    let auth = w.record(ADMIN, authorisation(&["item:r1"], vec![]));
    let destroyed = w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r1"], vec![]),
        &[WITNESS_1, WITNESS_2],
    );
    let input = w.ledger.rule_input(&destroyed.id()).unwrap();
    assert_eq!(input["authorisation"]["id"], auth.id().to_hex());
    assert_eq!(input["authorisation"]["actor"], ADMIN);
    assert_eq!(input["event"]["custodian"], DEMIL);
    assert_eq!(input["event"]["witnesses"][0]["actor"], WITNESS_1);
}
