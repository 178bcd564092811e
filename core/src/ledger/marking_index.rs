//! The state's index of markings: normalised serial → the items whose registered marking, or a
//! mark applied later, carries it, each with the normalised manufacturer it was marked with.
//! It answers the rule plugins' question "is this marking already registered" (plugin ABI
//! version 2) without a scan of the items, and is maintained wherever items and marks come and
//! go: registration, `marking`, and the correction of either.

use std::collections::BTreeMap;

use crate::ledger::journal::{BatchOp, JMap};
use crate::ledger::state::{AppliedMark, ItemState};
use crate::model::{ItemId, normalise_marking as normalise};

/// Normalised serial → (item, normalised manufacturer) → how many of the item's markings give
/// that pair (a mark may repeat the registered marking).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MarkingIndex {
    // Journaled like the state's maps: a refused batch leaves the index as it found it.
    by_serial: JMap<String, BTreeMap<(ItemId, Option<String>), u32>>,
}

/// The (serial, manufacturer) pairs an item's registered marking gives.
fn registered(item: &ItemState) -> Option<(String, Option<String>)> {
    let m = &item.item.marking;
    m.serial
        .as_deref()
        .map(|s| (normalise(s), m.manufacturer.as_deref().map(normalise)))
}

/// The pair a mark gives: its serial, with its manufacturer or the registered one.
fn of_mark(item: &ItemState, mark: &AppliedMark) -> Option<(String, Option<String>)> {
    let manufacturer = mark.elements.manufacturer.as_deref().or(item
        .item
        .marking
        .manufacturer
        .as_deref());
    mark.elements
        .serial
        .as_deref()
        .map(|s| (normalise(s), manufacturer.map(normalise)))
}

impl MarkingIndex {
    /// Opens, commits or rolls back a batch of its journal (`journal`).
    pub(crate) fn batch(&mut self, op: BatchOp) {
        op.run(&mut self.by_serial);
    }

    fn add(&mut self, id: &ItemId, pair: Option<(String, Option<String>)>) {
        if let Some((serial, manufacturer)) = pair {
            *self
                .by_serial
                .entry(serial)
                .or_default()
                .entry((id.clone(), manufacturer))
                .or_default() += 1;
        }
    }

    fn remove(&mut self, id: &ItemId, pair: Option<(String, Option<String>)>) {
        let Some((serial, manufacturer)) = pair else {
            return;
        };
        let Some(items) = self.by_serial.get_mut(&serial) else {
            return;
        };
        let key = (id.clone(), manufacturer);
        if let Some(n) = items.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                items.remove(&key);
            }
        }
        if items.is_empty() {
            self.by_serial.remove(&serial);
        }
    }

    /// Indexes an item: its registered marking and every mark it carries.
    pub(crate) fn add_item(&mut self, item: &ItemState) {
        self.add(&item.item.id, registered(item));
        for mark in &item.marks {
            self.add(&item.item.id, of_mark(item, mark));
        }
    }

    /// Forgets an item (its registration reversed).
    pub(crate) fn remove_item(&mut self, item: &ItemState) {
        self.remove(&item.item.id, registered(item));
        for mark in &item.marks {
            self.remove(&item.item.id, of_mark(item, mark));
        }
    }

    /// Indexes a mark applied to `item`.
    pub(crate) fn add_mark(&mut self, item: &ItemState, mark: &AppliedMark) {
        self.add(&item.item.id, of_mark(item, mark));
    }

    /// Forgets a mark of `item` (its `marking` reversed).
    pub(crate) fn remove_mark(&mut self, item: &ItemState, mark: &AppliedMark) {
        self.remove(&item.item.id, of_mark(item, mark));
    }

    /// The first item (in id order) marked with this serial and, when given, this
    /// manufacturer, both compared normalised (spaces removed, case folded).
    pub(crate) fn find(&self, manufacturer: Option<&str>, serial: &str) -> Option<ItemId> {
        let want = manufacturer.map(normalise);
        self.by_serial
            .get(&normalise(serial))?
            .keys()
            .find(|(_, m)| want.as_deref().is_none_or(|w| m.as_deref() == Some(w)))
            .map(|(id, _)| id.clone())
    }

    /// The index of `items`, built from scratch (for the invariant check).
    #[cfg_attr(
        not(any(debug_assertions, test, feature = "testkit")),
        allow(
            dead_code,
            reason = "only debug builds, tests and the testkit check invariants"
        )
    )]
    pub(crate) fn of<'a>(items: impl Iterator<Item = &'a ItemState>) -> MarkingIndex {
        let mut index = MarkingIndex::default();
        for item in items {
            index.add_item(item);
        }
        index
    }
}
