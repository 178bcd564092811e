//! The ledger's state: everything derived from the events so far, and nothing else. Its size
//! grows with the stockpile (actors, sites, items, lots, open transfers), not with the number
//! of events, so replaying a ledger of any length needs memory bounded by its state.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::event::{LotQuantity, Place, RuleRef};
use crate::ledger::account::{Account, Posting, Sink, Stock};
use crate::model::{
    Actor, ActorId, EventId, Item, ItemId, Lot, LotId, Origin, PublicKey, Role, Site, SiteId,
    Status, Timestamp,
};

/// A registered actor and its keys.
#[derive(Clone, Debug, Serialize)]
pub struct ActorState {
    /// As registered.
    pub actor: Actor,
    /// Every key it ever had; `true` while not revoked.
    pub keys: BTreeMap<PublicKey, bool>,
    /// Latest event about this actor.
    pub last_event: EventId,
}

impl ActorState {
    /// Whether it holds a role.
    pub fn has_role(&self, role: Role) -> bool {
        self.actor.roles.contains(&role)
    }
}

/// A registered site.
#[derive(Clone, Debug, Serialize)]
pub struct SiteState {
    /// As registered.
    pub site: Site,
    /// Its registration.
    pub last_event: EventId,
}

/// A serialized item and where it is.
#[derive(Clone, Debug, Serialize)]
pub struct ItemState {
    /// As registered.
    pub item: Item,
    /// How it entered.
    pub origin: Origin,
    /// When it was registered.
    pub registered_at: Timestamp,
    /// Current status.
    pub status: Status,
    // INVARIANT (item-location): an item is in exactly one account; `State::by_account` holds
    // it there with balance 1 and its origin's source account with −1.
    /// The account it is in.
    pub location: Account,
    /// Latest event that touched it.
    pub last_event: EventId,
    // INVARIANT (time-order): events touching a stock are dated no earlier than the one before.
    /// When that event happened.
    pub last_at: Timestamp,
}

/// A lot and its balances.
#[derive(Clone, Debug, Serialize)]
pub struct LotState {
    /// As registered (for split and merged lots: inherited attributes, quantity at formation).
    pub lot: Lot,
    /// How it entered.
    pub origin: Origin,
    /// When it was registered or formed.
    pub registered_at: Timestamp,
    /// Current status.
    pub status: Status,
    // INVARIANT (lot-balance): the balances sum to zero, and match `State::by_account`.
    /// Non-zero balances per account.
    #[serde(serialize_with = "as_pairs")]
    pub balances: BTreeMap<Account, i128>,
    /// Lots this one was formed from, with the units each contributed.
    pub derived_from: Vec<(LotId, u64)>,
    /// Latest event that touched it.
    pub last_event: EventId,
    /// When that event happened.
    pub last_at: Timestamp,
}

impl LotState {
    /// Balance in one account.
    pub fn balance(&self, account: &Account) -> i128 {
        self.balances.get(account).copied().unwrap_or(0)
    }
    /// Units still accountable: everything but sources, destroyed and other final sinks.
    pub fn live_units(&self) -> i128 {
        self.balances
            .iter()
            .filter(|(a, _)| {
                !matches!(
                    a,
                    Account::Source(_)
                        | Account::Sink(
                            Sink::Destroyed | Sink::Consumed | Sink::Exported | Sink::Rebatched
                        )
                )
            })
            .map(|(_, b)| (*b).max(0))
            .sum()
    }
    /// Whether units were destroyed and none is left anywhere: the lot is closed.
    pub fn is_destroyed(&self) -> bool {
        self.balance(&Account::Sink(Sink::Destroyed)) > 0 && self.live_units() == 0
    }
}

/// A dispatched transfer awaiting receipt.
#[derive(Clone, Debug, Serialize)]
pub struct Transfer {
    /// Sender.
    pub from: Place,
    /// Addressee.
    pub to: Place,
    /// Items sent.
    pub items: Vec<ItemId>,
    /// Lot quantities sent.
    pub lots: Vec<LotQuantity>,
    /// When dispatched.
    pub at: Timestamp,
}

/// An authorisation with what it still covers.
#[derive(Clone, Debug, Serialize)]
pub struct Authorisation {
    /// Order number.
    pub reference: String,
    /// Who authorised.
    pub actor: ActorId,
    /// When.
    pub at: Timestamp,
    /// Items not yet destroyed under it.
    pub items: BTreeSet<ItemId>,
    /// Lot quantities not yet destroyed under it.
    pub lots: BTreeMap<LotId, u64>,
    /// Allowed methods.
    pub methods: Vec<String>,
}

/// What reversing an event needs. Kept only while the event is still the latest event of
/// everything it touched (corrections undo the newest first), so the map stays bounded by the
/// state, not by the ledger's length.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Undo {
    pub(crate) actor: ActorId,
    pub(crate) stocks: Vec<Stock>,
    pub(crate) postings: Vec<Posting>,
    pub(crate) created: Vec<Stock>,
    pub(crate) statuses: Vec<(Stock, Status)>,
    pub(crate) opened_transfer: Option<EventId>,
    pub(crate) closed_transfer: Option<(EventId, Transfer)>,
    pub(crate) opened_authorisation: Option<EventId>,
}

/// Everything derived from the events so far.
#[derive(Clone, Debug, Default, Serialize)]
pub struct State {
    pub(crate) actors: BTreeMap<ActorId, ActorState>,
    pub(crate) key_owner: BTreeMap<PublicKey, ActorId>,
    pub(crate) sites: BTreeMap<SiteId, SiteState>,
    pub(crate) items: BTreeMap<ItemId, ItemState>,
    pub(crate) lots: BTreeMap<LotId, LotState>,
    pub(crate) lot_children: BTreeMap<LotId, BTreeSet<LotId>>,
    // INVARIANT (by-account): for every account, the non-zero balance of every stock in it;
    // equal to what items' locations and lots' balances say.
    #[serde(serialize_with = "nested_as_pairs")]
    pub(crate) by_account: BTreeMap<Account, BTreeMap<Stock, i128>>,
    pub(crate) transfers: BTreeMap<EventId, Transfer>,
    pub(crate) authorisations: BTreeMap<EventId, Authorisation>,
    pub(crate) undo: BTreeMap<EventId, Undo>,
    pub(crate) rules: Vec<RuleRef>,
    pub(crate) rules_event: Option<EventId>,
    pub(crate) events: u64,
}

/// A broken state invariant (a bug, never a user error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state invariant `{invariant}` broken: {detail}")]
pub struct InvariantError {
    /// Its name, as written at its `INVARIANT` comment.
    pub invariant: &'static str,
    /// What was found.
    pub detail: String,
}

impl State {
    /// Number of events applied.
    pub fn event_count(&self) -> u64 {
        self.events
    }
    /// An actor.
    pub fn actor(&self, id: &ActorId) -> Option<&ActorState> {
        self.actors.get(id)
    }
    /// Every actor.
    pub fn actors(&self) -> impl Iterator<Item = &ActorState> {
        self.actors.values()
    }
    /// The actor that owns a key.
    pub fn key_owner(&self, key: &PublicKey) -> Option<&ActorId> {
        self.key_owner.get(key)
    }
    /// A site.
    pub fn site(&self, id: &SiteId) -> Option<&SiteState> {
        self.sites.get(id)
    }
    /// Every site.
    pub fn sites(&self) -> impl Iterator<Item = &SiteState> {
        self.sites.values()
    }
    /// An item.
    pub fn item(&self, id: &ItemId) -> Option<&ItemState> {
        self.items.get(id)
    }
    /// Every item.
    pub fn items(&self) -> impl Iterator<Item = &ItemState> {
        self.items.values()
    }
    /// A lot.
    pub fn lot(&self, id: &LotId) -> Option<&LotState> {
        self.lots.get(id)
    }
    /// Every lot.
    pub fn lots(&self) -> impl Iterator<Item = &LotState> {
        self.lots.values()
    }
    /// Lots formed directly from a lot.
    pub fn lot_children(&self, id: &LotId) -> impl Iterator<Item = &LotId> {
        self.lot_children.get(id).into_iter().flatten()
    }
    /// Open transfers by dispatch id.
    pub fn transfers(&self) -> &BTreeMap<EventId, Transfer> {
        &self.transfers
    }
    /// Authorisations with cover left, by event id.
    pub fn authorisations(&self) -> &BTreeMap<EventId, Authorisation> {
        &self.authorisations
    }
    /// Rules in force.
    pub fn rules_in_force(&self) -> &[RuleRef] {
        &self.rules
    }
    /// Every non-zero balance: account → stock → units.
    pub fn balances(&self) -> &BTreeMap<Account, BTreeMap<Stock, i128>> {
        &self.by_account
    }
    /// Balance of one stock in one account.
    pub fn balance(&self, account: &Account, stock: &Stock) -> i128 {
        self.by_account
            .get(account)
            .and_then(|m| m.get(stock))
            .copied()
            .unwrap_or(0)
    }
    /// What each custodian holds at a site: (custodian, stock, units).
    pub fn holdings_at<'a>(
        &'a self,
        site: &'a SiteId,
    ) -> impl Iterator<Item = (&'a ActorId, &'a Stock, i128)> + 'a {
        self.by_account
            .iter()
            .filter_map(move |(account, stocks)| match account {
                Account::Holding { site: s, custodian } if s == site => {
                    Some(stocks.iter().map(move |(st, b)| (custodian, st, *b)))
                }
                _ => None,
            })
            .flatten()
    }
    /// Net explosive quantity at a site, grams.
    pub fn neq_grams_at(&self, site: &SiteId) -> i128 {
        self.holdings_at(site)
            .map(|(_, stock, units)| match stock {
                Stock::Lot(id) => self
                    .lots
                    .get(id)
                    .map_or(0, |l| i128::from(l.lot.neq_grams_per_unit.get()) * units),
                Stock::Item(_) => 0,
            })
            .sum()
    }
    /// Whether `actor` may act for `custodian`: it is the custodian or a member of it, up the
    /// `member_of` chain.
    pub fn acts_for(&self, actor: &ActorId, custodian: &ActorId) -> bool {
        // Limit on the membership chain walked; registration refuses cycles, this bounds the walk anyway.
        const MEMBERSHIP_DEPTH_MAX: usize = 8;
        let mut current = Some(actor);
        for _ in 0..MEMBERSHIP_DEPTH_MAX {
            match current {
                Some(a) if a == custodian => return true,
                Some(a) => current = self.actors.get(a).and_then(|s| s.actor.member_of.as_ref()),
                None => return false,
            }
        }
        false
    }
    /// The top of an actor's `member_of` chain: its agency.
    pub fn agency_of<'a>(&'a self, actor: &'a ActorId) -> &'a ActorId {
        let mut current = actor;
        for _ in 0..8 {
            match self
                .actors
                .get(current)
                .and_then(|s| s.actor.member_of.as_ref())
            {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    }

    /// SHA-256 over the canonical JSON of the whole state: two ledgers with the same events
    /// have the same digest.
    pub fn digest(&self) -> crate::error::Result<crate::model::Digest> {
        // Every map in the state has string keys or is serialised as a list of pairs, so
        // encoding cannot fail; if it ever did, that is a bug reported as such.
        let bytes = serde_json::to_value(self)
            .map_err(|e| e.to_string())
            .and_then(|v| serde_json_canonicalizer::to_vec(&v).map_err(|e| e.to_string()))
            .map_err(|detail| {
                crate::error::Error::new(crate::error::ErrorKind::Internal {
                    detail: format!("encoding the state: {detail}"),
                })
            })?;
        Ok(crate::model::Digest::from_bytes(
            Sha256::digest(&bytes).into(),
        ))
    }

    /// Checks every invariant. Property tests and fuzz targets call it after every step; debug
    /// builds after every event.
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        let broken =
            |invariant: &'static str, detail: String| Err(InvariantError { invariant, detail });
        let mut expected: BTreeMap<Account, BTreeMap<Stock, i128>> = BTreeMap::new();
        for (id, item) in &self.items {
            if &item.item.id != id {
                return broken(
                    "item-location",
                    format!("item keyed `{id}` is `{}`", item.item.id),
                );
            }
            let stock = Stock::Item(id.clone());
            *expected
                .entry(item.location.clone())
                .or_default()
                .entry(stock.clone())
                .or_default() += 1;
            let source = Account::Source(crate::ledger::account::Source::Origin(item.origin.kind));
            *expected
                .entry(source)
                .or_default()
                .entry(stock)
                .or_default() -= 1;
        }
        for (id, lot) in &self.lots {
            let sum: i128 = lot.balances.values().sum();
            if sum != 0 {
                return broken("lot-balance", format!("balances of `{id}` sum to {sum}"));
            }
            for (account, balance) in &lot.balances {
                if *balance == 0 {
                    return broken(
                        "lot-balance",
                        format!("`{id}` keeps a zero balance in `{account}`"),
                    );
                }
                if *balance < 0 && !account.may_go_negative() {
                    return broken(
                        "lot-balance",
                        format!("`{id}` is at {balance} in `{account}`"),
                    );
                }
                if *balance > 0 && matches!(account, Account::Source(_)) {
                    return broken(
                        "lot-balance",
                        format!("source `{account}` of `{id}` is at {balance}"),
                    );
                }
                *expected
                    .entry(account.clone())
                    .or_default()
                    .entry(Stock::Lot(id.clone()))
                    .or_default() += balance;
            }
        }
        expected.retain(|_, m| {
            m.retain(|_, b| *b != 0);
            !m.is_empty()
        });
        if expected != self.by_account {
            return broken(
                "by-account",
                "the per-account index disagrees with items and lots".into(),
            );
        }
        for (key, owner) in &self.key_owner {
            if !self
                .actors
                .get(owner)
                .is_some_and(|a| a.keys.contains_key(key))
            {
                return broken(
                    "key-owner",
                    format!("key `{key}` points at `{owner}`, which does not hold it"),
                );
            }
        }
        for (id, transfer) in &self.transfers {
            let account = Account::InTransit(*id);
            for item in &transfer.items {
                if self.items.get(item).is_some_and(|s| s.location != account) {
                    // Items received partially are moved out by the receipt, which closes the transfer.
                    return broken(
                        "transfer-open",
                        format!("item `{item}` of open transfer `{id}` is not in transit"),
                    );
                }
            }
        }
        Ok(())
    }

    pub(crate) fn apply_posting(&mut self, posting: &Posting) {
        let q = i128::from(posting.quantity);
        match &posting.stock {
            Stock::Item(id) => {
                if let Some(item) = self.items.get_mut(id) {
                    item.location = posting.to.clone();
                }
            }
            Stock::Lot(id) => {
                if let Some(lot) = self.lots.get_mut(id) {
                    adjust(&mut lot.balances, &posting.from, -q);
                    adjust(&mut lot.balances, &posting.to, q);
                }
            }
        }
        adjust_index(&mut self.by_account, &posting.from, &posting.stock, -q);
        adjust_index(&mut self.by_account, &posting.to, &posting.stock, q);
    }
}

fn adjust(balances: &mut BTreeMap<Account, i128>, account: &Account, delta: i128) {
    let entry = balances.entry(account.clone()).or_insert(0);
    *entry += delta;
    if *entry == 0 {
        balances.remove(account);
    }
}

pub(crate) fn adjust_index(
    index: &mut BTreeMap<Account, BTreeMap<Stock, i128>>,
    account: &Account,
    stock: &Stock,
    delta: i128,
) {
    let per_account = index.entry(account.clone()).or_default();
    let entry = per_account.entry(stock.clone()).or_insert(0);
    *entry += delta;
    if *entry == 0 {
        per_account.remove(stock);
    }
    if per_account.is_empty() {
        index.remove(account);
    }
}

fn as_pairs<S: serde::Serializer, K: Serialize, V: Serialize>(
    map: &BTreeMap<K, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(map.iter())
}

fn nested_as_pairs<S: serde::Serializer>(
    map: &BTreeMap<Account, BTreeMap<Stock, i128>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        map.iter()
            .map(|(a, inner)| (a, inner.iter().collect::<Vec<_>>())),
    )
}
