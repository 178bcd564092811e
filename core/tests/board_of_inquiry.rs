//! Boards of inquiry (format version 2): a discrepancy account opened by a stock check is
//! closed, missing units written off to `lost` or found and returned, overages regularised, so
//! that every discrepancy account can reach zero. Each refusal is checked for its code, its
//! field and its values, and the ledger must be exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::event::{BoardDecision, BoardItem, BoardLot, BoardOfInquiry};
use custodia::{ErrorCode, EventId, SignedEvent};
use serde_json::json;

const HELD_A: &str = "unit:a@depot:a";

fn board(discrepancy: &SignedEvent, lots: &[(u64, BoardDecision)]) -> BoardOfInquiry {
    BoardOfInquiry {
        discrepancy: discrepancy.id(),
        reference: "BOI-2026-1".into(),
        members: vec![actor(INSPECTOR), actor(WITNESS_2)],
        findings: "cartons miscounted; the rest unaccounted for".into(),
        to: Some(place(DEPOT_A, UNIT_A)),
        lots: lots
            .iter()
            .map(|(n, d)| BoardLot {
                lot: lot("lot:l1"),
                quantity: q(*n),
                decision: *d,
            })
            .collect(),
        items: Vec::new(),
    }
}

fn account(e: &SignedEvent) -> String {
    format!("discrepancy:{}", e.id())
}

#[test]
fn a_shortfall_is_written_off_and_found_until_the_account_is_zero() {
    let mut w = World::new();
    let check_ = w.record(INSPECTOR, stock_check(A, &[("lot:l1", 1000, 990)], &[]));
    assert_eq!(w.balance("lot:l1", &account(&check_)), 10);
    // 3 found in a mislabelled carton and 4 written off, then 3 more written off.
    let mut first = board(
        &check_,
        &[(3, BoardDecision::Found), (4, BoardDecision::WrittenOff)],
    );
    // Each decision once per lot.
    first.lots.push(BoardLot {
        lot: lot("lot:l1"),
        quantity: q(1),
        decision: BoardDecision::Found,
    });
    let err = refused(&mut w, ADMIN, first.clone());
    check(
        &err,
        ErrorCode::Repeated,
        Some("/lots/2/lot"),
        json!({"value": "lot:l1 found"}),
    );
    first.lots.pop();
    w.record(ADMIN, first);
    w.record(ADMIN, board(&check_, &[(3, BoardDecision::WrittenOff)]));
    assert_eq!(w.balance("lot:l1", &account(&check_)), 0);
    assert_eq!(w.balance("lot:l1", HELD_A), 993);
    assert_eq!(w.balance("lot:l1", "sink:lost"), 7);
    w.ledger.check_invariants().unwrap();
    let report = w.ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}

#[test]
fn an_overage_is_regularised() {
    let mut w = World::new();
    let check_ = w.record(INSPECTOR, stock_check(A, &[("lot:l1", 1000, 1005)], &[]));
    assert_eq!(w.balance("lot:l1", &account(&check_)), -5);
    assert_eq!(w.balance("lot:l1", HELD_A), 1005);
    let mut body = board(&check_, &[(5, BoardDecision::Regularised)]);
    body.to = None;
    w.record(ADMIN, body);
    assert_eq!(w.balance("lot:l1", &account(&check_)), 0);
    assert_eq!(w.balance("lot:l1", "source:regularised"), -5);
    assert_eq!(w.balance("lot:l1", HELD_A), 1005);
    w.ledger.check_invariants().unwrap();
}

#[test]
fn a_missing_item_is_found_or_written_off() {
    let mut w = World::new();
    let check_ = w.record(
        INSPECTOR,
        stock_check(A, &[], &[("item:r1", false), ("item:r2", false)]),
    );
    let mut body = board(&check_, &[]);
    body.items = vec![
        BoardItem {
            item: item("item:r1"),
            decision: BoardDecision::Found,
        },
        BoardItem {
            item: item("item:r2"),
            decision: BoardDecision::WrittenOff,
        },
    ];
    w.record(ADMIN, body);
    assert_eq!(w.balance("item:r1", HELD_A), 1);
    assert_eq!(w.balance("item:r2", "sink:lost"), 1);
    assert_eq!(w.balance("item:r2", &account(&check_)), 0);
}

#[test]
fn a_board_writing_off_more_than_the_discrepancy_is_refused() {
    let mut w = World::new();
    let check_ = w.record(INSPECTOR, stock_check(A, &[("lot:l1", 1000, 990)], &[]));
    let err = refused(
        &mut w,
        ADMIN,
        board(&check_, &[(11, BoardDecision::WrittenOff)]),
    );
    check(
        &err,
        ErrorCode::BeyondDiscrepancy,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "discrepancy": check_.id().to_hex(), "decision": "written_off", "requested": 11, "open": 10}),
    );
    // Missing units are not regularised, found units not written off.
    let err = refused(
        &mut w,
        ADMIN,
        board(&check_, &[(1, BoardDecision::Regularised)]),
    );
    check(
        &err,
        ErrorCode::BeyondDiscrepancy,
        Some("/lots/0/quantity"),
        json!({"stock": "lot:l1", "discrepancy": check_.id().to_hex(), "decision": "regularised", "requested": 1, "open": 0}),
    );
    // An item the account does not hold.
    let mut body = board(&check_, &[]);
    body.items = vec![BoardItem {
        item: item("item:r1"),
        decision: BoardDecision::WrittenOff,
    }];
    let err = refused(&mut w, ADMIN, body);
    check(
        &err,
        ErrorCode::BeyondDiscrepancy,
        Some("/items/0/item"),
        json!({"stock": "item:r1", "discrepancy": check_.id().to_hex(), "decision": "written_off", "requested": 1, "open": 0}),
    );
}

#[test]
fn a_board_needs_an_authoriser_members_and_an_open_discrepancy() {
    let mut w = World::new();
    let check_ = w.record(INSPECTOR, stock_check(A, &[("lot:l1", 1000, 990)], &[]));
    let err = refused(
        &mut w,
        UNIT_A,
        board(&check_, &[(1, BoardDecision::WrittenOff)]),
    );
    check(
        &err,
        ErrorCode::MissingRole,
        Some("/actor"),
        json!({"actor": UNIT_A, "role": "authoriser", "needed_for": "board_of_inquiry"}),
    );
    let mut body = board(&check_, &[(1, BoardDecision::WrittenOff)]);
    body.members.push(actor("person:nobody"));
    let err = refused(&mut w, ADMIN, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/members/2"),
        json!({"value": "person:nobody"}),
    );
    let mut body = board(&check_, &[(1, BoardDecision::WrittenOff)]);
    body.members.push(actor(INSPECTOR));
    let err = refused(&mut w, ADMIN, body);
    check(
        &err,
        ErrorCode::Repeated,
        Some("/members/2"),
        json!({"value": INSPECTOR}),
    );
    let mut body = board(&check_, &[(1, BoardDecision::Found)]);
    body.to = None;
    let err = refused(&mut w, ADMIN, body);
    assert_eq!(err.code(), ErrorCode::RecordMissing, "{err}");
    assert_eq!(err.field(), Some("/to"));
    let mut body = board(&check_, &[(1, BoardDecision::WrittenOff)]);
    body.discrepancy = EventId::from_bytes([7; 32]);
    let err = refused(&mut w, ADMIN, body);
    check(
        &err,
        ErrorCode::UnknownReference,
        Some("/discrepancy"),
        json!({"value": EventId::from_bytes([7; 32]).to_hex()}),
    );
    let err = refused(&mut w, ADMIN, board(&check_, &[]));
    assert_eq!(err.code(), ErrorCode::NothingToMove, "{err}");
}

#[test]
fn a_corrected_board_reopens_the_discrepancy() {
    let mut w = World::new();
    let check_ = w.record(INSPECTOR, stock_check(A, &[("lot:l1", 1000, 990)], &[]));
    let b = w.record(ADMIN, board(&check_, &[(10, BoardDecision::WrittenOff)]));
    assert_eq!(w.balance("lot:l1", &account(&check_)), 0);
    w.record(ADMIN, correction(b.id()));
    assert_eq!(w.balance("lot:l1", &account(&check_)), 10);
    assert_eq!(w.balance("lot:l1", "sink:lost"), 0);
    let report = w.ledger.verify().unwrap();
    assert!(report.ok, "{:?}", report.failure);
}
