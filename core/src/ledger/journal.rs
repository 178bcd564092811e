//! Undo journals for the state's maps, so that a batch is applied in place and rolled back
//! exactly when one of its events is refused, instead of applying it to a copy of the whole
//! state (whose cost grows with the stockpile, not with the batch).
//!
//! [`JMap`] and [`JSet`] read like the map or set they wrap (`Deref`): a `BTreeMap`, a
//! [`HashStore`] for maps only looked up by key ([`HJMap`], which lends no iteration and lists
//! its entries sorted), a `BTreeSet`. Every way to change them is a method here that records,
//! while a batch is open, the value each key had before its first change in the batch (`JSet`
//! and `AccountIndex`, whose values are small, log every change instead). Rolling back puts
//! those values back; committing forgets them. The values are cloned whole, so a field added
//! to a value type (an item, a lot) is journaled without anything more. [`AccountIndex`] is
//! the per-account balance index, journaled per (account, stock) balance because one account
//! (a source, a large holding) can hold most of the stock.
//!
//! Outside a batch nothing is recorded and a change costs what it costs on the map it wraps.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Deref;

use hashbrown::hash_map::RawEntryMut;
use serde::{Serialize, Serializer};

use crate::ledger::account::{Account, Stock};
use crate::ledger::state::State;
use crate::model::{EventId, RuleRef, Timestamp};

/// What to do with the journals of a state's maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BatchOp {
    /// Start recording.
    Begin,
    /// Keep the changes, stop recording.
    Commit,
    /// Undo the changes, stop recording.
    Rollback,
}

/// A journaled collection.
pub(crate) trait Journaled {
    fn begin(&mut self);
    fn commit(&mut self);
    fn rollback(&mut self);
}

impl BatchOp {
    /// Applies the operation to one collection.
    pub(crate) fn run(self, j: &mut impl Journaled) {
        match self {
            BatchOp::Begin => j.begin(),
            BatchOp::Commit => j.commit(),
            BatchOp::Rollback => j.rollback(),
        }
    }
}

/// The map under a [`JMap`]: a `BTreeMap` (ordered) or a [`HashStore`] (looked up by key only).
pub(crate) trait MapStore<K, V>: Default {
    fn get(&self, key: &K) -> Option<&V>;
    fn get_mut(&mut self, key: &K) -> Option<&mut V>;
    fn contains_key(&self, key: &K) -> bool;
    fn insert(&mut self, key: K, value: V) -> Option<V>;
    fn remove(&mut self, key: &K) -> Option<V>;
    fn remove_entry(&mut self, key: &K) -> Option<(K, V)>;
    fn is_empty(&self) -> bool;
    /// Serialises the map in key order (the state digest depends on it).
    fn serialize_ordered<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize,
        V: Serialize;
    /// Formats the map in key order (`Debug` of a state is compared by tests).
    fn fmt_ordered(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        K: fmt::Debug,
        V: fmt::Debug;
}

impl<K: Ord, V> MapStore<K, V> for BTreeMap<K, V> {
    fn get(&self, key: &K) -> Option<&V> {
        BTreeMap::get(self, key)
    }
    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        BTreeMap::get_mut(self, key)
    }
    fn contains_key(&self, key: &K) -> bool {
        BTreeMap::contains_key(self, key)
    }
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        BTreeMap::insert(self, key, value)
    }
    fn remove(&mut self, key: &K) -> Option<V> {
        BTreeMap::remove(self, key)
    }
    fn remove_entry(&mut self, key: &K) -> Option<(K, V)> {
        BTreeMap::remove_entry(self, key)
    }
    fn is_empty(&self) -> bool {
        BTreeMap::is_empty(self)
    }
    fn serialize_ordered<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize,
        V: Serialize,
    {
        s.collect_map(self.iter())
    }
    fn fmt_ordered(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        K: fmt::Debug,
        V: fmt::Debug,
    {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A hash map with per-process random keys (event writers choose the ids it is keyed by),
/// for state maps that are only looked up by key: one hash and one comparison instead of a
/// dozen string comparisons down a B-tree. It has no order, so it lends no iteration: what
/// lists its entries takes them sorted ([`JMap::sorted`]), and nothing can depend on the
/// process's hash keys by mistake.
#[derive(Clone)]
pub(crate) struct HashStore<K, V>(HashMap<K, V, ahash::RandomState>);

impl<K, V> Default for HashStore<K, V> {
    fn default() -> Self {
        HashStore(HashMap::default())
    }
}

impl<K: Eq + std::hash::Hash, V: PartialEq> PartialEq for HashStore<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Eq + std::hash::Hash, V> HashStore<K, V> {
    /// The value of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.0.get(key)
    }
    /// Whether `key` has a value.
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.0.contains_key(key)
    }
    /// How many keys have a value.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl<K: Ord + std::hash::Hash, V> MapStore<K, V> for HashStore<K, V> {
    fn get(&self, key: &K) -> Option<&V> {
        self.0.get(key)
    }
    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.0.get_mut(key)
    }
    fn contains_key(&self, key: &K) -> bool {
        self.0.contains_key(key)
    }
    fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.0.insert(key, value)
    }
    fn remove(&mut self, key: &K) -> Option<V> {
        self.0.remove(key)
    }
    fn remove_entry(&mut self, key: &K) -> Option<(K, V)> {
        self.0.remove_entry(key)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn serialize_ordered<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize,
        V: Serialize,
    {
        s.collect_map(self.sorted())
    }
    fn fmt_ordered(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result
    where
        K: fmt::Debug,
        V: fmt::Debug,
    {
        f.debug_map().entries(self.sorted()).finish()
    }
}

impl<K: Ord, V> HashStore<K, V> {
    /// The entries in key order.
    fn sorted(&self) -> Vec<(&K, &V)> {
        let mut entries: Vec<(&K, &V)> = self.0.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        entries
    }
}

/// What a [`JMap`] records while a batch is open: each changed key's value before the batch.
type Journal<K, V> = HashMap<K, Option<V>, ahash::RandomState>;

/// A map whose changes can be rolled back to the start of the open batch: a `BTreeMap`, or,
/// for a map only looked up by key, a [`HashStore`] ([`HJMap`]).
#[derive(Clone)]
pub(crate) struct JMap<K: Ord, V, M = BTreeMap<K, V>> {
    map: M,
    // INVARIANT (journal-first-touch): while a batch is open, `old` holds, for every key changed
    // since the batch opened, its value before the first change (None: absent). Outside a
    // batch it is None. A map, not a log of every change: values can be large (a lot's
    // balances, an authorisation's items) and are touched by many events of a batch, so each is
    // copied once per batch, not once per change.
    old: Option<Journal<K, V>>,
}

/// A [`JMap`] over a hash map: no order, for maps only looked up by key.
pub(crate) type HJMap<K, V> = JMap<K, V, HashStore<K, V>>;

impl<K: Ord, V, M: Default> Default for JMap<K, V, M> {
    fn default() -> Self {
        JMap {
            map: M::default(),
            old: None,
        }
    }
}

impl<K: Ord, V, M> Deref for JMap<K, V, M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.map
    }
}

impl<K: Ord + fmt::Debug, V: fmt::Debug, M: MapStore<K, V>> fmt::Debug for JMap<K, V, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map.fmt_ordered(f)
    }
}

impl<K: Ord + Serialize, V: Serialize, M: MapStore<K, V>> Serialize for JMap<K, V, M> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize_ordered(s)
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a JMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl<K: Ord, V, M: PartialEq> PartialEq for JMap<K, V, M> {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<K: Ord, V, M: MapStore<K, V>> JMap<K, V, M> {
    /// Whether it is empty (for `skip_serializing_if`).
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl<K: Ord + std::hash::Hash + Clone, V: Clone, M: MapStore<K, V>> JMap<K, V, M> {
    /// Records the value of `key` before its first change in the open batch.
    fn touch(&mut self, key: &K) {
        if let Some(old) = &mut self.old
            && !old.contains_key(key)
        {
            old.insert(key.clone(), self.map.get(key).cloned());
        }
    }

    /// Removes `key`, dropping its value (kept by the journal without a copy while a batch is
    /// open).
    pub(crate) fn discard(&mut self, key: &K) {
        match &mut self.old {
            Some(old) if !old.contains_key(key) => {
                if let Some((k, v)) = self.map.remove_entry(key) {
                    old.insert(k, Some(v));
                }
            }
            _ => {
                self.map.remove(key);
            }
        }
    }

    /// The value of `key`, to change.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        if self.old.is_some() && self.map.contains_key(key) {
            self.touch(key);
        }
        self.map.get_mut(key)
    }

    /// Sets the value of `key`, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.touch(&key);
        self.map.insert(key, value)
    }

    /// Removes `key`, returning its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        if self.old.is_some() && self.map.contains_key(key) {
            self.touch(key);
        }
        self.map.remove(key)
    }

    /// Opens a batch: changes from now on are recorded.
    pub(crate) fn begin(&mut self) {
        self.old = Some(Journal::default());
    }

    /// Closes the batch keeping its changes.
    pub(crate) fn commit(&mut self) {
        self.old = None;
    }

    /// Closes the batch undoing its changes.
    pub(crate) fn rollback(&mut self) {
        if let Some(old) = self.old.take() {
            for (key, value) in old {
                match value {
                    Some(v) => {
                        self.map.insert(key, v);
                    }
                    None => {
                        self.map.remove(&key);
                    }
                }
            }
        }
    }
}

impl<K: Ord, V> JMap<K, V, HashStore<K, V>> {
    /// Every entry, in key order (a hash map has none of its own): for whatever a reader
    /// or the state digest sees, so that it does not depend on the process's hash keys.
    pub(crate) fn sorted(&self) -> Vec<(&K, &V)> {
        self.map.sorted()
    }
}

impl<K: Ord + std::hash::Hash + Clone, V: Clone> JMap<K, V> {
    /// The entry of `key`, to change (recorded as changed even if it is only read).
    pub(crate) fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        self.touch(&key);
        self.map.entry(key)
    }
}

/// A `BTreeSet` whose changes can be rolled back to the start of the open batch.
#[derive(Clone)]
pub(crate) struct JSet<K: Ord> {
    set: BTreeSet<K>,
    // INVARIANT (journal-in-order): as in `JMap`, whether the key was present before each change.
    old: Option<Vec<(K, bool)>>,
}

impl<K: Ord> Default for JSet<K> {
    fn default() -> Self {
        JSet {
            set: BTreeSet::new(),
            old: None,
        }
    }
}

impl<K: Ord> PartialEq for JSet<K> {
    fn eq(&self, other: &Self) -> bool {
        self.set == other.set
    }
}

impl<K: Ord> Deref for JSet<K> {
    type Target = BTreeSet<K>;
    fn deref(&self) -> &BTreeSet<K> {
        &self.set
    }
}

impl<K: Ord + fmt::Debug> fmt::Debug for JSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.set.fmt(f)
    }
}

impl<K: Ord + Serialize> Serialize for JSet<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.set.serialize(s)
    }
}

impl<'a, K: Ord> IntoIterator for &'a JSet<K> {
    type Item = &'a K;
    type IntoIter = std::collections::btree_set::Iter<'a, K>;
    fn into_iter(self) -> Self::IntoIter {
        self.set.iter()
    }
}

impl<K: Ord> JSet<K> {
    /// Whether it is empty (for `skip_serializing_if`).
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl<K: Ord + Clone> JSet<K> {
    fn touch(&mut self, key: &K) {
        if let Some(old) = &mut self.old {
            old.push((key.clone(), self.set.contains(key)));
        }
    }

    /// Adds `key`; whether it was absent.
    pub(crate) fn insert(&mut self, key: K) -> bool {
        self.touch(&key);
        self.set.insert(key)
    }

    /// Removes `key`; whether it was present.
    pub(crate) fn remove(&mut self, key: &K) -> bool {
        if self.old.is_some() && self.set.contains(key) {
            self.touch(key);
        }
        self.set.remove(key)
    }

    pub(crate) fn begin(&mut self) {
        self.old = Some(Vec::new());
    }

    pub(crate) fn commit(&mut self) {
        self.old = None;
    }

    pub(crate) fn rollback(&mut self) {
        if let Some(old) = self.old.take() {
            for (key, present) in old.into_iter().rev() {
                if present {
                    self.set.insert(key);
                } else {
                    self.set.remove(&key);
                }
            }
        }
    }
}

/// The balances of one account, by stock (no order: [`AccountIndex::sorted`] gives one).
pub(crate) type Balances = hashbrown::HashMap<Stock, i128, ahash::RandomState>;

/// For every account, the non-zero balance of every stock in it, journaled per
/// (account, stock).
///
/// Hashed, not ordered: a posting changes two balances, and in a B-tree each lookup was a
/// dozen comparisons of multi-part string keys (a depot's account holds thousands of
/// stocks), the largest part of committing an event. Whatever needs an order (the state
/// digest, what the rules are told a site holds, the synthetic generator) sorts what it
/// reads. The hasher (aHash) is randomly keyed per process: the keys are ids that event
/// writers choose.
#[derive(Clone, Default)]
pub(crate) struct AccountIndex {
    map: hashbrown::HashMap<Account, Balances, ahash::RandomState>,
    // INVARIANT (journal-in-order): while a batch is open, `old` holds, for every change since
    // the batch opened, in order, the balance before it (None: no balance); undoing them in
    // reverse order restores every balance. A log, not a map keyed by (account, stock): a
    // posting changes two balances, and looking each up in a map of its own cost more than
    // the rare repeat it saves.
    old: Option<Vec<(Account, Stock, Option<i128>)>>,
}

impl PartialEq for AccountIndex {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl fmt::Debug for AccountIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.sorted()).finish()
    }
}

impl AccountIndex {
    /// The balances of `account`, if it holds anything.
    pub(crate) fn get(&self, account: &Account) -> Option<&Balances> {
        self.map.get(account)
    }

    /// Whether `account` holds anything.
    pub(crate) fn contains_key(&self, account: &Account) -> bool {
        self.map.contains_key(account)
    }

    /// Every account with its balances, in no order.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = (&Account, &Balances)> {
        self.map.iter()
    }

    /// Every account with its balances, accounts and stocks in their order.
    pub(crate) fn sorted(&self) -> Vec<(&Account, Vec<(&Stock, &i128)>)> {
        let mut out: Vec<_> = self
            .map
            .iter()
            .map(|(account, balances)| {
                let mut balances: Vec<_> = balances.iter().collect();
                balances.sort_unstable_by(|a, b| a.0.cmp(b.0));
                (account, balances)
            })
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// Whether it holds exactly these balances.
    pub(crate) fn holds_exactly(
        &self,
        expected: &BTreeMap<Account, BTreeMap<Stock, i128>>,
    ) -> bool {
        self.map.len() == expected.len()
            && expected.iter().all(|(account, want)| {
                self.map.get(account).is_some_and(|have| {
                    have.len() == want.len()
                        && want
                            .iter()
                            .all(|(stock, units)| have.get(stock) == Some(units))
                })
            })
    }

    /// Adds `delta` to the balance of `stock` in `account`, dropping zero balances and empty
    /// accounts.
    ///
    /// Each key is hashed and looked up once: the entry found (or the empty slot) is where the
    /// balance changes, is removed or is inserted, and keys are cloned only when new. (A look-up
    /// and then an insert or a removal hashed and searched a second time; most changes insert
    /// or remove, as stock leaves one account and enters another.)
    pub(crate) fn adjust(&mut self, account: &Account, stock: &Stock, delta: i128) {
        let Self { map, old } = self;
        let before = match map.raw_entry_mut().from_key(account) {
            RawEntryMut::Occupied(mut per_account) => {
                let balances = per_account.get_mut();
                let before = match balances.raw_entry_mut().from_key(stock) {
                    RawEntryMut::Occupied(mut balance) => {
                        let before = *balance.get();
                        let after = before + delta;
                        if after == 0 {
                            balance.remove();
                        } else {
                            *balance.get_mut() = after;
                        }
                        Some(before)
                    }
                    RawEntryMut::Vacant(slot) => {
                        if delta != 0 {
                            slot.insert(stock.clone(), delta);
                        }
                        None
                    }
                };
                if balances.is_empty() {
                    per_account.remove();
                }
                before
            }
            RawEntryMut::Vacant(slot) => {
                if delta != 0 {
                    let mut balances = Balances::default();
                    balances.insert(stock.clone(), delta);
                    slot.insert(account.clone(), balances);
                }
                None
            }
        };
        if let Some(old) = old {
            old.push((account.clone(), stock.clone(), before));
        }
    }

    pub(crate) fn begin(&mut self) {
        self.old = Some(Vec::new());
    }

    pub(crate) fn commit(&mut self) {
        self.old = None;
    }

    pub(crate) fn rollback(&mut self) {
        if let Some(old) = self.old.take() {
            for (account, stock, before) in old.into_iter().rev() {
                match before {
                    Some(b) => {
                        self.map.entry(account).or_default().insert(stock, b);
                    }
                    None => {
                        if let Some(per_account) = self.map.get_mut(&account) {
                            per_account.remove(&stock);
                            if per_account.is_empty() {
                                self.map.remove(&account);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl<K: Ord + std::hash::Hash + Clone, V: Clone, M: MapStore<K, V>> Journaled for JMap<K, V, M> {
    fn begin(&mut self) {
        JMap::begin(self);
    }
    fn commit(&mut self) {
        JMap::commit(self);
    }
    fn rollback(&mut self) {
        JMap::rollback(self);
    }
}

impl<K: Ord + Clone> Journaled for JSet<K> {
    fn begin(&mut self) {
        JSet::begin(self);
    }
    fn commit(&mut self) {
        JSet::commit(self);
    }
    fn rollback(&mut self) {
        JSet::rollback(self);
    }
}

impl Journaled for AccountIndex {
    fn begin(&mut self) {
        AccountIndex::begin(self);
    }
    fn commit(&mut self) {
        AccountIndex::commit(self);
    }
    fn rollback(&mut self) {
        AccountIndex::rollback(self);
    }
}

/// The state's values that are not journaled maps, copied when a batch opens (they are small).
#[derive(Clone, Debug)]
pub(crate) struct Scalars {
    rules: Vec<RuleRef>,
    rules_event: Option<(EventId, Timestamp)>,
    genesis_at: Option<Timestamp>,
    events: u64,
    version_max: u32,
}

impl State {
    /// Opens a batch: from now on every change is recorded, until [`State::commit_batch`]
    /// keeps them or [`State::rollback_batch`] undoes them. Returns what rolling back needs
    /// besides the journals.
    pub(crate) fn begin_batch(&mut self) -> Scalars {
        self.journals(BatchOp::Begin);
        Scalars {
            rules: self.rules.clone(),
            rules_event: self.rules_event.clone(),
            genesis_at: self.genesis_at.clone(),
            events: self.events,
            version_max: self.version_max,
        }
    }

    /// Closes the open batch keeping its changes.
    pub(crate) fn commit_batch(&mut self) {
        self.journals(BatchOp::Commit);
    }

    /// Closes the open batch undoing its changes: the state is exactly as it was when the
    /// batch opened (`scalars` is what `begin_batch` returned).
    pub(crate) fn rollback_batch(&mut self, scalars: Scalars) {
        self.journals(BatchOp::Rollback);
        let Scalars {
            rules,
            rules_event,
            genesis_at,
            events,
            version_max,
        } = scalars;
        self.rules = rules;
        self.rules_event = rules_event;
        self.genesis_at = genesis_at;
        self.events = events;
        self.version_max = version_max;
    }

    fn journals(&mut self, op: BatchOp) {
        // Destructured without `..`: a field added to `State` must be journaled here (or kept
        // in `Scalars`) before this compiles.
        let State {
            actors,
            key_owner,
            sites,
            items,
            lots,
            lot_children,
            by_account,
            transfers,
            exports,
            authorisations,
            seizures,
            trace_requests,
            trace_answers,
            undo,
            rules: _,
            rules_event: _,
            discrepancies,
            genesis_at: _,
            lookalikes,
            events: _,
            version_max: _,
            lifecycle,
            facts,
            markings,
        } = self;
        op.run(actors);
        op.run(key_owner);
        op.run(sites);
        op.run(items);
        op.run(lots);
        op.run(lot_children);
        op.run(by_account);
        op.run(transfers);
        op.run(exports);
        op.run(authorisations);
        op.run(seizures);
        op.run(trace_requests);
        op.run(trace_answers);
        op.run(undo);
        op.run(discrepancies);
        op.run(lookalikes);
        lifecycle.batch(op);
        facts.batch(op);
        markings.batch(op);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn map_rollback_restores_every_key_and_commit_keeps() {
        let mut m: JMap<u32, String> = JMap::default();
        m.insert(1, "a".into());
        m.insert(2, "b".into());
        m.insert(0, "o".into());
        let before = m.clone();
        m.begin();
        m.insert(3, "c".into());
        if let Some(v) = m.get_mut(&1) {
            v.push('x');
        }
        m.remove(&2);
        m.insert(2, "z".into());
        *m.entry(4).or_default() += "d";
        m.remove(&4);
        m.discard(&1);
        m.discard(&9);
        m.discard(&0);
        assert!(m != before);
        m.rollback();
        assert!(m == before);
        assert_eq!(format!("{m:?}"), format!("{:?}", *before));
        m.begin();
        m.insert(5, "e".into());
        m.commit();
        m.begin();
        m.rollback();
        assert_eq!(m.get(&5).map(String::as_str), Some("e"));
    }

    #[test]
    fn set_and_index_roll_back() {
        let mut s: JSet<u8> = JSet::default();
        s.insert(1);
        s.begin();
        s.insert(2);
        s.remove(&1);
        s.rollback();
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), vec![1]);

        let a = Account::Sink(crate::ledger::account::Sink::Destroyed);
        let b = Account::Sink(crate::ledger::account::Sink::Consumed);
        let st = Stock::Lot(crate::model::LotId::new("lot:1").unwrap());
        let mut ix = AccountIndex::default();
        ix.adjust(&a, &st, 5);
        let before = ix.clone();
        ix.begin();
        ix.adjust(&a, &st, -5);
        ix.adjust(&b, &st, 5);
        ix.adjust(&b, &st, 1);
        assert!(ix != before);
        ix.rollback();
        assert!(ix == before);
    }

    #[test]
    fn the_index_keeps_a_map_s_balances_and_rolls_back_to_them() {
        // Adjustments drawn from a few accounts and stocks, with deltas that bring balances
        // back to zero, leave accounts empty, and are zero themselves; the index must hold
        // what a map of maps holds after each one, and a rollback must restore the balances
        // of the moment the batch opened.
        use crate::ledger::account::Sink;
        use crate::model::{ActorId, LotId, SiteId};
        let accounts = [
            Account::Sink(Sink::Destroyed),
            Account::Holding {
                site: SiteId::new("depot:a").unwrap(),
                custodian: ActorId::new("unit:1").unwrap(),
            },
            Account::Holding {
                site: SiteId::new("depot:b").unwrap(),
                custodian: ActorId::new("unit:1").unwrap(),
            },
            Account::InTransit(EventId::from_bytes([4; 32])),
        ];
        // Two stocks, so that accounts often empty (and must then be dropped).
        let stocks: Vec<Stock> = (0..2)
            .map(|i| Stock::Lot(LotId::new(format!("lot:{i}")).unwrap()))
            .collect();
        let mut model: BTreeMap<Account, BTreeMap<Stock, i128>> = BTreeMap::new();
        let mut ix = AccountIndex::default();
        let mut rng = crate::testkit::SplitMix64::new(7);
        let mut opened: Option<BTreeMap<Account, BTreeMap<Stock, i128>>> = None;
        let mut emptied = 0;
        for step in 0..3000 {
            let account = &accounts[rng.index(accounts.len())];
            let stock = &stocks[rng.index(stocks.len())];
            // A third of the time the balance is brought back to zero (a zero delta where
            // there is none: an absent balance is zero), else moved by -1 to 2.
            let current = model.get(account).and_then(|m| m.get(stock)).copied();
            let delta = match rng.range(0, 5) {
                0 | 1 => -current.unwrap_or(0),
                r => i128::from(r) - 3,
            };
            ix.adjust(account, stock, delta);
            let per_account = model.entry(account.clone()).or_default();
            let balance = per_account.entry(stock.clone()).or_default();
            *balance += delta;
            if *balance == 0 {
                per_account.remove(stock);
            }
            if per_account.is_empty() {
                model.remove(account);
                emptied += 1;
            }
            assert!(ix.holds_exactly(&model), "step {step}");
            match step % 100 {
                10 => {
                    ix.begin();
                    opened = Some(model.clone());
                }
                60 if step % 200 == 60 => {
                    ix.rollback();
                    model = opened.take().unwrap();
                    assert!(ix.holds_exactly(&model), "rollback at step {step}");
                }
                60 => {
                    ix.commit();
                    opened = None;
                }
                _ => {}
            }
        }
        assert!(emptied > 100, "accounts emptied {emptied} times");
    }

    /// The synthetic events the batch property test draws from (made once).
    fn synth_events() -> &'static [crate::ledger::SignedEvent] {
        static EVENTS: std::sync::OnceLock<Vec<crate::ledger::SignedEvent>> =
            std::sync::OnceLock::new();
        EVENTS.get_or_init(|| crate::testkit::events(19, 420).unwrap())
    }

    fn replayed(events: &[crate::ledger::SignedEvent]) -> State {
        let mut state = State::default();
        for e in events {
            state
                .apply(e, crate::ledger::SignatureCheck::AlreadyVerified, None)
                .unwrap();
        }
        state
    }

    /// Everything observable of a state: digest, serialised form, full `Debug` form (which
    /// includes the facts the digest leaves out).
    fn fingerprint(state: &State) -> (crate::model::Digest, String, String) {
        (
            state.digest().unwrap(),
            serde_json::to_string(state).unwrap(),
            format!("{state:?}"),
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// A batch whose event at a random position is refused (a bad signature, or an event
        /// taken from later in the ledger, out of order) leaves the state byte-identical to a
        /// copy taken before it; the same batch without the bad event gives the state of
        /// applying its events one by one.
        #[test]
        fn a_refused_batch_leaves_the_state_exactly_as_it_was(
            prefix in 1usize..340,
            len in 2usize..40,
            bad_at in 0usize..40,
            later in 1usize..30,
            tamper in proptest::bool::ANY,
        ) {
            let events = synth_events();
            let len = len.min(events.len() - prefix - 31);
            let bad_at = bad_at % len;
            let mut state = replayed(&events[..prefix]);
            let copy = state.clone();
            let before = fingerprint(&state);
            let mut batch = events[prefix..prefix + len].to_vec();
            if tamper {
                batch[bad_at].signatures[0].sig.0[7] ^= 0x40;
            } else {
                batch[bad_at] = events[prefix + len + later].clone();
            }
            let result =
                crate::store::apply_batch_for_tests(&mut state, &batch);
            match result {
                Err(e) => {
                    if tamper {
                        proptest::prop_assert_eq!(e.index(), Some(bad_at as u64));
                    }
                    proptest::prop_assert_eq!(&fingerprint(&state), &before);
                    proptest::prop_assert_eq!(&fingerprint(&copy), &before);
                    proptest::prop_assert!(state.check_invariants().is_ok());
                    // The rolled-back state takes the good batch like the copy does.
                    let good = &events[prefix..prefix + len];
                    crate::store::apply_batch_for_tests(&mut state, good).unwrap();
                    let mut one_by_one = copy;
                    for e in good {
                        one_by_one
                            .apply(e, crate::ledger::SignatureCheck::Verify, None)
                            .unwrap();
                    }
                    proptest::prop_assert_eq!(fingerprint(&state), fingerprint(&one_by_one));
                }
                // An out-of-order event may happen to be valid where it was put.
                Ok(_) => proptest::prop_assert!(!tamper),
            }
        }
    }
}
