//! The state's index of markings: normalised serial → the items whose registered marking, or a
//! mark applied later, carries it, each with the normalised manufacturer it was marked with.
//! It answers the rule plugins' question "is this marking already registered" (plugin ABI
//! version 2) without a scan of the items, and is maintained wherever items and marks come and
//! go: registration, `marking`, and the correction of either.

use crate::ledger::journal::{BatchOp, HJMap};
use crate::ledger::state::{AppliedMark, ItemState};
use crate::model::{ItemId, normalise_marking as normalise};

/// Normalised serial → (item, normalised manufacturer) → how many of the item's markings give
/// that pair (a mark may repeat the registered marking).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MarkingIndex {
    // Journaled like the state's maps: a refused batch leaves the index as it found it.
    by_serial: HJMap<String, Carriers>,
}

// INVARIANT (carriers-sorted): a serial's carriers are sorted by (item, manufacturer), without
// duplicates, each with a count of at least 1.
/// The items that carry one serial. Nearly every serial is carried by one item, so a vector
/// sorted by (item, manufacturer), allocated to its length, and not a map: an inner `BTreeMap`
/// allocated a whole node (about 600 bytes) per serial, a quarter of the state of a ledger of
/// registered weapons.
type Carriers = Vec<((ItemId, Option<String>), u32)>;

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
            let key = (id.clone(), manufacturer);
            let Some(carriers) = self.by_serial.get_mut(&serial) else {
                // Nearly every serial: its first carrier.
                self.by_serial.insert(serial, vec![(key, 1)]);
                return;
            };
            match carriers.binary_search_by(|(k, _)| k.cmp(&key)) {
                Ok(at) => {
                    if let Some((_, n)) = carriers.get_mut(at) {
                        *n += 1;
                    }
                }
                Err(at) => {
                    carriers.reserve_exact(1);
                    carriers.insert(at, (key, 1));
                }
            }
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
        if let Ok(at) = items.binary_search_by(|(k, _)| k.cmp(&key))
            && let Some((_, n)) = items.get_mut(at)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                items.remove(at);
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
            .iter()
            .map(|(k, _)| k)
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
