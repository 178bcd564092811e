//! The history of an item or lot (`Ledger::trace`) and its pages (`Ledger::trace_page`): pages
//! joined are the trace, in position order, whatever the page size; the limit's bounds; an
//! item and a lot of the same id; a damaged stored row is reported, not skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use custodia::testkit::Synth;
use custodia::{ErrorCode, Ledger, Options, TRACE_PAGE_ROWS_MAX, TraceEntry};

/// Every page of `stock`'s history of `limit` rows, joined.
fn paged(ledger: &Ledger, stock: &str, limit: u32) -> Vec<TraceEntry> {
    let mut out: Vec<TraceEntry> = Vec::new();
    loop {
        let page = ledger
            .trace_page(stock, out.last().map(|e| e.index), limit)
            .unwrap();
        assert!(page.len() <= limit as usize);
        let last = page.len() < limit as usize;
        out.extend(page);
        if last {
            return out;
        }
    }
}

fn synth_ledger(path: &std::path::Path, n: usize) -> Ledger {
    let mut ledger = Ledger::create(path, Options::new().log_key(log_key())).unwrap();
    let events: Vec<_> = Synth::new(11).take(n).collect::<Result<_, _>>().unwrap();
    for batch in events.chunks(500) {
        ledger.append(batch).unwrap();
    }
    ledger
}

#[test]
fn pages_joined_are_the_trace_in_position_order() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = synth_ledger(&dir.path().join("t.ledger"), 3_000);
    let stocks: Vec<String> = ledger
        .balances(&Default::default())
        .unwrap()
        .into_iter()
        .map(|b| b.stock)
        .collect();
    let mut longest = 0;
    for stock in stocks.iter().step_by(7).take(40) {
        let full = ledger.trace(stock).unwrap();
        assert!(!full.is_empty(), "{stock}");
        assert!(full.windows(2).all(|w| w[0].index < w[1].index), "{stock}");
        // Each row is the stored event at that position.
        for e in full.iter().take(3) {
            let stored = &ledger.events(e.index, e.index + 1).unwrap()[0];
            assert_eq!(
                (stored.id, &stored.kind, &stored.at, &stored.actor),
                (e.id, &e.kind, &e.at, &e.actor)
            );
        }
        for limit in [1, 2, 7, TRACE_PAGE_ROWS_MAX] {
            assert_eq!(
                paged(&ledger, stock, limit),
                full,
                "{stock}, pages of {limit}"
            );
        }
        // A page after the middle starts right after it.
        let mid = full[full.len() / 2].index;
        let rest = ledger.trace_page(stock, Some(mid), 3).unwrap();
        let expect: Vec<_> = full
            .iter()
            .filter(|e| e.index > mid)
            .take(3)
            .cloned()
            .collect();
        assert_eq!(rest, expect);
        longest = longest.max(full.len());
    }
    assert!(longest > 7, "some history spans pages: {longest}");
    // After the last event, or beyond any position: nothing. An unknown stock: nothing.
    let stock = &stocks[0];
    let last = ledger.trace(stock).unwrap().last().unwrap().index;
    assert!(ledger.trace_page(stock, Some(last), 5).unwrap().is_empty());
    assert!(
        ledger
            .trace_page(stock, Some(u64::MAX), 5)
            .unwrap()
            .is_empty()
    );
    assert!(ledger.trace_page("lot:none", None, 5).unwrap().is_empty());
    assert!(ledger.trace("lot:none").unwrap().is_empty());
}

#[test]
fn a_page_holds_one_to_the_maximum_rows() {
    let w = World::new();
    for limit in [0, TRACE_PAGE_ROWS_MAX + 1, u32::MAX] {
        let err = w.ledger.trace_page("lot:l1", None, limit).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{limit}");
    }
    assert_eq!(
        w.ledger
            .trace_page("lot:l1", None, TRACE_PAGE_ROWS_MAX)
            .unwrap(),
        w.ledger.trace("lot:l1").unwrap()
    );
}

/// Item ids and lot ids are apart: one text can name an item and a lot. Its trace holds the
/// events of both, in order, each event once (a transfer that moved both is one row).
#[test]
fn an_item_and_a_lot_of_one_id_share_one_trace() {
    let mut w = World::new();
    let items = w.record(UNIT_A, register_items_body(DEPOT_A, UNIT_A, &["same:1"]));
    let lots = w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "same:1", 10));
    let both = w.record(
        UNIT_A,
        dispatch(
            (DEPOT_A, UNIT_A),
            (DEPOT_B, UNIT_B),
            &["same:1"],
            vec![lq("same:1", 4)],
        ),
    );
    let trace: Vec<_> = w
        .ledger
        .trace("same:1")
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(trace, vec![items.id(), lots.id(), both.id()]);
    let pages: Vec<_> = paged(&w.ledger, "same:1", 1)
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(pages, trace);
}

/// A stored row whose id or time is not what the writer stores is reported as damage (the
/// trace reads those columns, not the event's JSON, so it checks them).
#[test]
fn a_damaged_trace_row_is_refused_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ledger");
    let ledger = synth_ledger(&path, 600);
    let stock = ledger.balances(&Default::default()).unwrap()[0]
        .stock
        .clone();
    let first = ledger.trace(&stock).unwrap()[0].index;
    drop(ledger);
    for (column, value) in [
        ("id", "x'00'"),
        ("at", "'2026-13-01T00:00:00Z'"),
        ("actor", "''"),
    ] {
        let side = rusqlite::Connection::open(&path).unwrap();
        let old: rusqlite::types::Value = side
            .query_row(
                &format!("SELECT {column} FROM events WHERE seq = {first}"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        side.execute(
            &format!("UPDATE events SET {column} = {value} WHERE seq = {first}"),
            [],
        )
        .unwrap();
        let ledger = Ledger::open(&path, Options::new().read_only(true)).unwrap();
        let err = ledger.trace(&stock).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Damaged, "{column}");
        let err = ledger.trace_page(&stock, None, 1).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Damaged, "{column}");
        drop(ledger);
        side.execute(
            &format!("UPDATE events SET {column} = ?1 WHERE seq = {first}"),
            [old],
        )
        .unwrap();
        let ledger = Ledger::open(&path, Options::new().read_only(true)).unwrap();
        assert!(!ledger.trace(&stock).unwrap().is_empty());
    }
}
