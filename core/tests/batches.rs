//! Batch boundaries are invisible: a valid history appended in any split into batches gives
//! the same derived tables as the same history in one batch (balances, stock on hand, the
//! summary, traces, lineage), the same verified state digest, and verifies. Histories include
//! corrections of registrations and of splits, whose stocks must vanish whichever batch the
//! correction lands in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::OnceLock;

use common::*;
use custodia::{
    Balance, BalanceFilter, Digest, Ledger, LineageEntry, Options, SignedEvent, StockFilter,
    StockOnHand, Summary, TraceEntry,
};
use proptest::prelude::*;

/// Everything derived from a ledger that must not depend on how its events were batched.
#[derive(Debug, PartialEq)]
struct Derived {
    len: u64,
    ok: bool,
    verified: u64,
    state_digest: Digest,
    balances: Vec<Balance>,
    stock_on_hand: StockOnHand,
    summary: Summary,
    traces: Vec<Vec<TraceEntry>>,
    lineage: Vec<LineageEntry>,
    lines: Vec<String>,
}

fn derived(ledger: &Ledger) -> Derived {
    let v = ledger.verify().unwrap();
    let balances = ledger.balances(&BalanceFilter::default()).unwrap();
    let stocks: std::collections::BTreeSet<&str> =
        balances.iter().map(|b| b.stock.as_str()).collect();
    Derived {
        len: ledger.len().unwrap(),
        ok: v.ok,
        verified: v.events,
        state_digest: v.state_digest,
        stock_on_hand: ledger.stock_on_hand(&StockFilter::default()).unwrap(),
        summary: ledger.summary().unwrap(),
        traces: stocks.iter().map(|s| ledger.trace(s).unwrap()).collect(),
        lineage: ledger.lineage(&lot("lot:l1")).unwrap(),
        lines: ledger
            .events(0, u64::MAX)
            .unwrap()
            .into_iter()
            .map(|r| r.json)
            .collect(),
        balances,
    }
}

fn fresh() -> Ledger {
    Ledger::in_memory(Options::new().log_key(log_key())).unwrap()
}

/// Appends `events` cut where `cuts` says (a cut after event i when `cuts[i]`).
fn appended(events: &[SignedEvent], cuts: &[bool]) -> Ledger {
    let mut ledger = fresh();
    let mut start = 0;
    for end in 1..=events.len() {
        if end == events.len() || cuts[end - 1] {
            let report = ledger.append(&events[start..end]).unwrap();
            assert_eq!(report.ledger_len, end as u64);
            assert_eq!(report.events.len(), end - start);
            start = end;
        }
    }
    ledger
}

fn history_events() -> &'static [SignedEvent] {
    static H: OnceLock<Vec<SignedEvent>> = OnceLock::new();
    H.get_or_init(history)
}

fn synth_events() -> &'static [SignedEvent] {
    static S: OnceLock<Vec<SignedEvent>> = OnceLock::new();
    S.get_or_init(|| custodia::testkit::events(7, 120).unwrap())
}

fn one_batch(events: &'static [SignedEvent], cell: &'static OnceLock<Derived>) -> &'static Derived {
    cell.get_or_init(|| {
        let d = derived(&appended(events, &vec![false; events.len()]));
        assert!(d.ok);
        assert_eq!(d.verified, events.len() as u64);
        d
    })
}

#[test]
fn the_reference_histories_use_every_kind_and_verify() {
    let kinds: std::collections::BTreeSet<&str> =
        history_events().iter().map(SignedEvent::kind).collect();
    assert_eq!(kinds.len(), custodia::event::KINDS.len(), "{kinds:?}");
    static CELL: OnceLock<Derived> = OnceLock::new();
    let d = one_batch(history_events(), &CELL);
    // The corrected registration and the corrected split left nothing behind.
    for gone in ["lot:typo", "lot:l2-x"] {
        assert!(
            d.balances.iter().all(|b| b.stock != gone),
            "{gone} has balances"
        );
        assert!(d.stock_on_hand.lines.iter().all(|l| l.stock != gone));
    }
    assert!(d.lineage.iter().all(|e| e.lot.as_str() != "lot:l2-x"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn any_batch_split_of_the_reference_history_derives_the_same(
        cuts in prop::collection::vec(prop::bool::weighted(0.3), 64),
    ) {
        static CELL: OnceLock<Derived> = OnceLock::new();
        let events = history_events();
        let reference = one_batch(events, &CELL);
        let split = derived(&appended(events, &cuts[..events.len() - 1]));
        prop_assert_eq!(&split, reference);
    }

    #[test]
    fn any_batch_split_of_a_synthetic_history_derives_the_same(
        cuts in prop::collection::vec(prop::bool::weighted(0.1), 120),
    ) {
        static CELL: OnceLock<Derived> = OnceLock::new();
        let events = synth_events();
        let reference = one_batch(events, &CELL);
        let split = derived(&appended(events, &cuts[..events.len() - 1]));
        prop_assert_eq!(&split, reference);
    }
}

/// A lot registered, 10 split off in one append, the split corrected in a second append: the
/// lot holds its original quantity again, the split lot is gone from every table, and the
/// ledger verifies, as when the three events are appended together or one by one.
#[test]
fn a_split_corrected_in_a_later_batch_leaves_no_trace_of_the_split_lot() {
    let mut w = World::new();
    let base = w.journal.len();
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:x", 100));
    let s = w.record(UNIT_A, split("lot:x", A, &[("lot:x-10", 10)]));
    assert_eq!(w.balance("lot:x-10", &holding(DEPOT_A, UNIT_A)), 10);
    w.record(UNIT_A, correction(s.id()));
    let events = w.journal.clone();
    let n = events.len();
    let mut results = Vec::new();
    for cuts in [
        // Split and correction in separate appends.
        (0..n - 1)
            .map(|i| i == base || i == base + 1)
            .collect::<Vec<_>>(),
        // The registration and split together, the correction alone.
        (0..n - 1).map(|i| i == base + 1).collect(),
        // Everything at once, and one by one.
        vec![false; n - 1],
        vec![true; n - 1],
    ] {
        let ledger = appended(&events, &cuts);
        let at_a = holding(DEPOT_A, UNIT_A);
        let b = balances_of(&ledger);
        assert_eq!(b.get(&("lot:x".into(), at_a.clone())), Some(&100), "{b:?}");
        assert_eq!(
            b.get(&("lot:x".into(), "source:stock_on_hand".into())),
            Some(&-100)
        );
        assert!(
            b.keys().all(|(s, _)| s != "lot:x-10"),
            "stray split lot: {b:?}"
        );
        assert!(b.keys().all(|(_, a)| a != "sink:rebatched"), "{b:?}");
        let soh = ledger.stock_on_hand(&StockFilter::default()).unwrap();
        assert!(soh.lines.iter().all(|l| l.stock != "lot:x-10"));
        let lineage = ledger.lineage(&lot("lot:x")).unwrap();
        assert_eq!(lineage.len(), 1, "{lineage:?}");
        assert_eq!(ledger.summary().unwrap().lots, 2);
        let d = derived(&ledger);
        assert!(d.ok, "{:?}", ledger.verify().unwrap().failure);
        assert_eq!(d.verified, n as u64);
        results.push(d);
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0]);
    }
    // The split lot's id is free again, in a ledger reopened from any of those histories.
    let mut ledger = appended(
        &events,
        &(0..n - 1).map(|i| i == base + 1).collect::<Vec<_>>(),
    );
    let mut again = World::with_ledger(fresh());
    std::mem::swap(&mut again.ledger, &mut ledger);
    again.hold_key(UNIT_A, key_named(UNIT_A));
    again.now = w.now;
    again.record(UNIT_A, split("lot:x", A, &[("lot:x-10", 7)]));
    assert_eq!(again.balance("lot:x-10", &holding(DEPOT_A, UNIT_A)), 7);
    assert!(again.ledger.verify().unwrap().ok);
}
