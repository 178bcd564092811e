//! The state's marking index (plugin ABI version 2, "is this marking registered") against
//! the scan of the items it replaced, after a synthetic history.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ledger::{RuleQueries, SignatureCheck, State, StateQueries, marking_registered_by_scan};

/// After a synthetic history (registrations, import marks, restored serials, corrections),
/// the index answers every question as the scan of the items does: for each item's serial
/// and marks, with and without the manufacturer, in other spellings, and for markings that
/// are not there.
#[test]
fn the_index_agrees_with_a_scan_after_a_synthetic_history() {
    let events = crate::testkit::events(11, 3_000).unwrap();
    let mut state = State::default();
    for e in &events {
        state
            .apply(e, SignatureCheck::AlreadyVerified, None)
            .unwrap();
    }
    state.check_invariants().unwrap();
    let at = crate::model::Timestamp::from_unix_seconds(2_000_000_000).unwrap();
    let queries = StateQueries::new(&state, &at);
    let mut questions: Vec<(Option<String>, String)> = Vec::new();
    for item in state.items() {
        let m = &item.item.marking;
        let mut pairs = vec![(m.manufacturer.clone(), m.serial.clone())];
        pairs.extend(
            item.marks
                .iter()
                .map(|k| (k.elements.manufacturer.clone(), k.elements.serial.clone())),
        );
        for (manufacturer, serial) in pairs {
            let Some(serial) = serial else { continue };
            questions.push((None, serial.clone()));
            questions.push((None, format!(" {} ", serial.to_lowercase())));
            questions.push((manufacturer.clone(), serial.clone()));
            questions.push((Some("nobody".into()), serial.clone()));
            questions.push((manufacturer, format!("{serial}-X")));
        }
    }
    assert!(
        questions.len() > 100,
        "too few markings: {}",
        questions.len()
    );
    let mut found = 0;
    for (manufacturer, serial) in &questions {
        let indexed = queries.marking_registered(manufacturer.as_deref(), serial);
        let scanned = marking_registered_by_scan(&state, manufacturer.as_deref(), serial);
        assert_eq!(indexed, scanned, "{manufacturer:?} {serial:?}");
        found += usize::from(indexed.is_some());
    }
    assert!(
        found > questions.len() / 3,
        "{found} of {}",
        questions.len()
    );
}
