//! Stock checks that mean something (format version 2): full or sample, blind or not, who
//! counted, the serial read on each item found. A full count must list everything the holding
//! holds. Each refusal is checked for its code, its field and its values, and the ledger must
//! be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::ErrorCode;
use custodia::model::CountScope;
use serde_json::json;

/// A full, blind count of unit A's holding at depot A by the inspector and a witness: 995 of
/// the 1000 rounds, both rifles found with their serials read.
fn full_count() -> custodia::event::StockCheck {
    let mut body = stock_check(
        A,
        &[("lot:l1", 1000, 995)],
        &[("item:r1", true), ("item:r2", true)],
    );
    body.scope = Some(CountScope::Full);
    body.blind = Some(true);
    body.counters = vec![actor(INSPECTOR), actor(WITNESS_1)];
    body.items[0].observed_serial = Some("R1".into());
    body
}

#[test]
fn a_full_blind_count_by_two_counters_is_recorded() {
    let mut w = World::new();
    let e = w.record(INSPECTOR, full_count());
    assert_eq!(w.balance("lot:l1", &format!("discrepancy:{}", e.id())), 5);
    let stored = w.ledger.event(&e.id()).unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stored.json).unwrap();
    assert_eq!(v["scope"], "full");
    assert_eq!(v["blind"], true);
    assert_eq!(v["counters"], json!([INSPECTOR, WITNESS_1]));
    assert_eq!(v["items"][0]["observed_serial"], "R1");
}

#[test]
fn a_full_count_that_leaves_out_stock_held_is_refused() {
    let mut w = World::new();
    let mut body = full_count();
    body.items.pop();
    let err = refused(&mut w, INSPECTOR, body);
    check(
        &err,
        ErrorCode::NotCounted,
        Some("/items"),
        json!({"stock": "item:r2"}),
    );
    let mut body = full_count();
    body.lots.clear();
    let err = refused(&mut w, INSPECTOR, body);
    check(
        &err,
        ErrorCode::NotCounted,
        Some("/lots"),
        json!({"stock": "lot:l1"}),
    );
    // Several left out: the first in id order is named (items before lots).
    let mut body = full_count();
    body.lots.clear();
    body.items.remove(0);
    let err = refused(&mut w, INSPECTOR, body);
    check(
        &err,
        ErrorCode::NotCounted,
        Some("/items"),
        json!({"stock": "item:r1"}),
    );
    // A sample may leave anything out.
    let mut body = full_count();
    body.lots.clear();
    body.scope = Some(CountScope::Sample);
    w.record(INSPECTOR, body);
}

#[test]
fn counters_are_registered_and_named_once() {
    let mut w = World::new();
    let mut body = full_count();
    body.counters.push(actor("person:nobody"));
    let err = refused(&mut w, INSPECTOR, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/counters/2"),
        json!({"value": "person:nobody"}),
    );
    let mut body = full_count();
    body.counters.push(actor(INSPECTOR));
    let err = refused(&mut w, INSPECTOR, body);
    check(
        &err,
        ErrorCode::Repeated,
        Some("/counters/2"),
        json!({"value": INSPECTOR}),
    );
}

#[test]
fn an_item_not_found_has_no_serial_read() {
    let mut w = World::new();
    let mut body = full_count();
    body.items[1].present = false;
    body.items[1].observed_serial = Some("R2".into());
    let err = refused(&mut w, INSPECTOR, body);
    check(
        &err,
        ErrorCode::FieldInvalid,
        Some("/items/1/observed_serial"),
        json!({"value": "R2", "reason": "an item not found has no serial read on it"}),
    );
}

#[test]
fn the_new_members_need_format_version_2() {
    let mut w = World::empty();
    w.version = 1;
    w.populate();
    let mut body = stock_check(A, &[("lot:l1", 1000, 1000)], &[]);
    body.scope = Some(CountScope::Full);
    let err = refused(&mut w, INSPECTOR, body);
    assert_eq!(err.code(), ErrorCode::FieldInvalid, "{err}");
    assert_eq!(err.field(), Some("/scope"));
    let mut body = stock_check(A, &[], &[("item:r1", true)]);
    body.items[0].observed_serial = Some("R1".into());
    let err = refused(&mut w, INSPECTOR, body);
    assert_eq!(err.field(), Some("/items/0/observed_serial"), "{err}");
}
