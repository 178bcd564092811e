//! The front door end to end: a real SQLite file, appends, queries, proofs, verification,
//! reopening read-only, and the format-1 migration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use custodia::testkit::Synth;
use custodia::{BalanceFilter, ErrorCode, Ledger, MarkingQuery, Options, Signer, StockFilter};

fn synth_lines(n: usize, seed: u64) -> Vec<u8> {
    let mut synth = Synth::new(seed);
    let mut out = Vec::new();
    for _ in 0..n {
        let e = synth.next_event().unwrap();
        out.extend_from_slice(e.to_json().as_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn append_query_prove_verify_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ledger");
    let key = Signer::from_seed([3; 32]);
    let mut ledger =
        Ledger::create(&path, Options::new().log_key(Signer::from_seed([3; 32]))).unwrap();
    assert_eq!(ledger.len().unwrap(), 0);
    let lines = synth_lines(400, 7);
    let report = ledger.append_json_lines(&lines).unwrap();
    assert_eq!(report.ledger_len, 400);
    assert_eq!(report.events.len(), 400);
    assert_eq!(report.tree_head.size, 400);
    assert_eq!(report.tree_head.key, key.public_key());

    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(v.events, 400);

    let balances = ledger.balances(&BalanceFilter::default()).unwrap();
    assert!(!balances.is_empty());
    let soh = ledger.stock_on_hand(&StockFilter::default()).unwrap();
    assert!(!soh.lines.is_empty());
    let held: i64 = soh.lines.iter().map(|l| l.units).sum();
    let total: i64 = soh.totals.iter().map(|t| t.units).sum();
    assert_eq!(held, total);

    let first = ledger.events(0, 1).unwrap();
    let proof = ledger.inclusion_proof(&first[0].id, None).unwrap();
    assert!(proof.verify());
    let c = ledger.consistency_proof(10, None).unwrap();
    assert!(c.verify());

    let summary = ledger.summary().unwrap();
    assert_eq!(summary.events, 400);

    // A lot's trace starts with its registration.
    let lot = balances
        .iter()
        .find(|b| b.stock.starts_with("lot:"))
        .unwrap();
    let trace = ledger.trace(&lot.stock).unwrap();
    assert!(!trace.is_empty());

    // Bad input: nothing written, the error names the line.
    let mut bad = synth_lines(401, 7);
    let last_line_start = bad[..bad.len() - 1]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    bad.truncate(last_line_start);
    bad.extend_from_slice(b"{\"v\":1}\n");
    let err = ledger
        .append_json_lines(&bad[last_line_start..])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SchemaViolation);
    assert_eq!(err.index(), Some(0));
    assert_eq!(ledger.len().unwrap(), 400);

    drop(ledger);
    let ro = Ledger::open(&path, Options::new()).unwrap();
    assert!(!ro.is_writable());
    assert_eq!(ro.len().unwrap(), 400);
    let again = ro.verify().unwrap();
    assert_eq!(again.state_digest, v.state_digest);
    let mut ro = ro;
    let err = ro
        .append_json_lines(&synth_lines(401, 7)[lines.len()..])
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ReadOnly);

    // No item has serial "nothing".
    let found = ro
        .find_items(&MarkingQuery {
            serial: "no such serial".into(),
            manufacturer: None,
        })
        .unwrap();
    assert!(found.is_empty());
}

#[test]
fn format_1_files_are_refused_then_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.ledger");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/format-v1.ledger"),
        &path,
    )
    .unwrap();
    let err = Ledger::open(&path, Options::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FormatVersion);
    let key_file = dir.path().join("old.log-key");
    let m = Ledger::migrate(&path, Some("test.example/custodia/old"), Some(&key_file)).unwrap();
    assert_eq!(
        Signer::read_key_file(&key_file).unwrap().public_key(),
        m.log_key.public_key()
    );
    let again = Ledger::migrate(&path, None, None).unwrap_err();
    assert_eq!(again.code(), ErrorCode::InvalidArgument);
    assert_eq!(m.events, 60);
    let ledger = Ledger::open(&path, Options::new().log_key(m.log_key)).unwrap();
    assert_eq!(ledger.len().unwrap(), 60);
    assert_eq!(ledger.origin(), "test.example/custodia/old");
    let v = ledger.verify().unwrap();
    assert!(v.ok, "{:?}", v.failure);
    assert_eq!(ledger.tree_head().unwrap().root, m.root);
    assert!(m.backup.exists());
}

/// The totals `stock_history` reports: what `stock_on_hand` gives at the same moments, on a
/// ledger in memory that appends the same events period by period (what the Python package did
/// before the front door had it).
fn history_by_appending(
    events: &[custodia::SignedEvent],
    every: i64,
) -> Vec<custodia::StockSnapshot> {
    let mut replay = Ledger::in_memory(Options::new()).unwrap();
    let mut out = Vec::new();
    let totals = |l: &Ledger| l.stock_on_hand(&StockFilter::default()).unwrap().totals;
    let end_of = |at: i64| at - at.rem_euclid(every) + every;
    let mut period_end: Option<i64> = None;
    let mut pending = Vec::new();
    for e in events {
        let at = e.event().at.unix_seconds();
        let end = *period_end.get_or_insert(end_of(at));
        if at >= end {
            if !pending.is_empty() {
                replay.append(&pending).unwrap();
                pending.clear();
            }
            out.push(custodia::StockSnapshot {
                at: custodia::Timestamp::from_unix_seconds(end).unwrap(),
                totals: totals(&replay),
            });
            period_end = Some(end_of(at));
        }
        pending.push(e.clone());
    }
    if let Some(last) = events.last() {
        replay.append(&pending).unwrap();
        out.push(custodia::StockSnapshot {
            at: last.event().at.clone(),
            totals: totals(&replay),
        });
    }
    out
}

#[test]
fn stock_history_is_stock_on_hand_at_the_end_of_each_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.ledger");
    let options = || Options::new().log_key(Signer::from_seed([5; 32]));
    let mut ledger = Ledger::create(&path, options()).unwrap();
    assert_eq!(
        ledger.stock_history(86_400).unwrap(),
        Vec::new(),
        "an empty ledger"
    );

    let events: Vec<_> = Synth::new(13).take(700).collect::<Result<_, _>>().unwrap();
    ledger.append(&events).unwrap();
    // A day, a period that does not divide one, two minutes (the synthetic events are two
    // minutes apart: they fall on its ends) and one second (a snapshot per distinct time).
    for every in [86_400, 7 * 3_600 + 13, 120, 1] {
        let history = ledger.stock_history(every).unwrap();
        assert_eq!(
            history,
            history_by_appending(&events, every),
            "every {every} s"
        );
    }
    let daily = ledger.stock_history(86_400).unwrap();
    assert!(daily.len() >= 4, "{} days", daily.len());
    assert!(
        daily[..daily.len() - 1]
            .iter()
            .all(|s| s.at.as_str().ends_with("T00:00:00Z"))
    );
    // The last snapshot is the stock on hand now.
    let now = ledger
        .stock_on_hand(&StockFilter::default())
        .unwrap()
        .totals;
    assert_eq!(daily.last().unwrap().totals, now);
    assert!(
        now.iter()
            .any(|t| t.hazard_division.is_some() && t.neq_mg > 0)
    );

    // Reopened read-only, the same; a period below one second is refused, naming it.
    drop(ledger);
    let reader = Ledger::open(&path, Options::new()).unwrap();
    assert_eq!(reader.stock_history(86_400).unwrap(), daily);
    for bad in [0, -86_400, i64::MIN] {
        let e = reader.stock_history(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{bad}");
    }
}
