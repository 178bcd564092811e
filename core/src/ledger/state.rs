//! The ledger's state: everything derived from the events so far, and nothing else. Its size
//! grows with the stockpile (actors, sites, items, lots, open transfers), not with the number
//! of events, so replaying a ledger of any length needs memory bounded by its state.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::ledger::account::{Account, Posting, Sink, Stock};
use crate::ledger::journal::{AccountIndex, HJMap, JMap, JSet};
use crate::model::{
    Actor, ActorId, Date, EventId, Item, ItemId, Lot, LotId, LotQuantity, MarkKind, Marking,
    Origin, Place, PublicKey, Role, RuleRef, Site, SiteId, StockStatus, Timestamp,
};

/// A role's name as on the wire (`custodian`, `admin`, ...).
pub(crate) fn role_name(role: Role) -> String {
    role.as_str().to_owned()
}

/// One of an actor's keys.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct KeyState {
    /// Whether it still signs (not revoked). Revocation takes effect in append order: a key
    /// revoked by an earlier event does not sign a later one, whatever the dates say.
    pub(crate) active: bool,
    /// When it was registered: it signs no event dated before.
    pub(crate) added_at: Timestamp,
}

/// A registered actor and its keys.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ActorState {
    /// As registered.
    pub(crate) actor: Actor,
    /// Every key it ever had.
    pub(crate) keys: BTreeMap<PublicKey, KeyState>,
    /// Latest event about this actor.
    pub(crate) last_event: EventId,
    /// When that event happened.
    pub(crate) last_at: Timestamp,
}

impl ActorState {
    /// Whether it holds a role.
    pub(crate) fn has_role(&self, role: Role) -> bool {
        self.actor.roles.contains(&role)
    }
}

/// A registered site.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SiteState {
    /// As registered.
    pub(crate) site: Site,
    /// Its registration.
    pub(crate) last_event: EventId,
    /// When it was registered: nothing happens there before.
    pub(crate) registered_at: Timestamp,
}

/// A serialized item and where it is.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ItemState {
    /// As registered.
    pub(crate) item: Item,
    /// How it entered.
    pub(crate) origin: Origin,
    /// When it was registered.
    pub(crate) registered_at: Timestamp,
    /// Current condition and disposition.
    pub(crate) status: StockStatus,
    // INVARIANT (item-location): an item is in exactly one account; `State::by_account` holds
    // it there with balance 1 and its origin's source account with −1.
    /// The account it is in.
    pub(crate) location: Account,
    /// Latest event that touched it.
    pub(crate) last_event: EventId,
    // INVARIANT (time-order): events touching a stock are dated no earlier than the one before.
    /// When that event happened.
    pub(crate) last_at: Timestamp,
    // Skipped when empty, so that the state digest of a ledger without marks is the one
    // earlier versions computed.
    /// Marks applied since its registration (`marking` events), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) marks: Vec<AppliedMark>,
    // INVARIANT (hold-disposition): stock with a hold has the disposition `evidence_hold`.
    // Skipped when absent, so that the state digest of a ledger without seizures is the one
    // earlier versions computed.
    /// The evidence hold it is under (a `seizure`), until a judicial order decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hold: Option<Box<Hold>>,
}

/// The evidence hold a `seizure` put stock under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Hold {
    /// The `seizure` event.
    pub(crate) seizure: EventId,
    /// Case number.
    pub(crate) case: String,
    /// The day of the seizure: holding periods count from it.
    pub(crate) seized_on: Date,
    /// The seizing agency.
    pub(crate) seized_by: ActorId,
    /// The court or agency the stock is held for (its holder is the custodian).
    pub(crate) held_for: ActorId,
}

/// A mark a `marking` event applied to an item.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AppliedMark {
    /// The `marking` event.
    pub(crate) event: EventId,
    /// The item.
    #[serde(skip)]
    pub(crate) item: ItemId,
    pub(crate) kind: MarkKind,
    pub(crate) elements: Marking,
    pub(crate) position: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) method: Option<String>,
    pub(crate) marked_by: ActorId,
    pub(crate) marked_on: Date,
}

/// A lot and its balances.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct LotState {
    /// As registered (for split and merged lots: inherited attributes, quantity at formation),
    /// with the next inspection, expiry and hazard classification the latest `inspection` set.
    pub(crate) lot: Lot,
    /// How it entered.
    pub(crate) origin: Origin,
    /// When it was registered or formed.
    pub(crate) registered_at: Timestamp,
    /// Current condition and disposition.
    pub(crate) status: StockStatus,
    // INVARIANT (lot-balance): the balances sum to zero, and match `State::by_account`.
    /// Non-zero balances per account.
    pub(crate) balances: LotBalances,
    /// Lots this one was formed from, with the units each contributed.
    pub(crate) derived_from: Vec<(LotId, u64)>,
    /// The evidence hold it is under (a `seizure`), until a judicial order decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hold: Option<Box<Hold>>,
    /// Its last surveillance inspection (skipped when never inspected).
    #[serde(skip_serializing_if = "crate::ledger::surveillance::Surveillance::is_empty")]
    pub(crate) surveillance: crate::ledger::surveillance::Surveillance,
    // Skipped when empty, so that the state digest of a ledger without version-2 splits and
    // merges is the one earlier versions computed.
    /// (Format version 2) For a lot formed by split or merge: the manufacturing lots it came
    /// from, each with its origin, manufacture date and registration (empty for a registered
    /// lot, which is its own).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) provenance: Vec<crate::ledger::lot_integrity::Provenance>,
    /// (Format version 2) The technical authority's approval when the lot is a merge of unlike
    /// lots (a mixed lot), inherited by the lots split from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mixed: Option<Box<crate::ledger::lot_integrity::MixedApproval>>,
    /// Latest event that touched it.
    pub(crate) last_event: EventId,
    /// When that event happened.
    pub(crate) last_at: Timestamp,
}

/// A lot's non-zero balances, in account order. A sorted list: a lot is held in a few
/// accounts, and a `BTreeMap` allocated a whole node (about 600 bytes) per lot, searched it
/// through pointers and allocated again as balances came and went. Written to the state
/// digest as the map was: a sequence of `[account, units]` pairs in account order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LotBalances(
    // INVARIANT (lot-balances-sorted): sorted by account, no account twice, no zero units.
    Vec<(Account, i128)>,
);

/// A lot's balances, borrowed as a map's entries are.
pub(crate) type BalanceIter<'a> = std::iter::Map<
    std::slice::Iter<'a, (Account, i128)>,
    fn(&(Account, i128)) -> (&Account, &i128),
>;

/// One balance, borrowed as a map's entry is.
fn balance_pair((account, units): &(Account, i128)) -> (&Account, &i128) {
    (account, units)
}

impl LotBalances {
    /// The balance in `account`, if not zero.
    pub(crate) fn get(&self, account: &Account) -> Option<&i128> {
        let at = self.0.binary_search_by(|(a, _)| a.cmp(account)).ok()?;
        self.0.get(at).map(|(_, units)| units)
    }

    /// Every balance, in account order.
    pub(crate) fn iter(&self) -> BalanceIter<'_> {
        self.0.iter().map(balance_pair)
    }

    /// Every account with a balance, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Account> {
        self.0.iter().map(|(account, _)| account)
    }

    /// Every balance's units, in account order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &i128> {
        self.0.iter().map(|(_, units)| units)
    }

    /// Adds `delta` to the balance in `account`, dropping it at zero. The account is cloned
    /// only when it is new to the lot.
    pub(crate) fn adjust(&mut self, account: &Account, delta: i128) {
        match self.0.binary_search_by(|(a, _)| a.cmp(account)) {
            Ok(at) => {
                if let Some((_, units)) = self.0.get_mut(at) {
                    *units += delta;
                    if *units == 0 {
                        self.0.remove(at);
                    }
                }
            }
            Err(at) if delta != 0 => self.0.insert(at, (account.clone(), delta)),
            Err(_) => {}
        }
    }
}

impl<'a> IntoIterator for &'a LotBalances {
    type Item = (&'a Account, &'a i128);
    type IntoIter = BalanceIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for LotBalances {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl LotState {
    /// Balance in one account.
    pub(crate) fn balance(&self, account: &Account) -> i128 {
        self.balances.get(account).copied().unwrap_or(0)
    }
    /// Units still accountable: everything but sources, destroyed and other final sinks.
    pub(crate) fn live_units(&self) -> i128 {
        self.balances
            .iter()
            .filter(|(a, _)| {
                !matches!(
                    a,
                    Account::Source(_)
                        | Account::Sink(
                            Sink::Destroyed
                                | Sink::Consumed
                                | Sink::Exported
                                | Sink::Rebatched
                                | Sink::ReturnedToOwner
                        )
                )
            })
            .map(|(_, b)| (*b).max(0))
            .sum()
    }
    /// Whether units were destroyed and none is left anywhere: the lot is closed.
    pub(crate) fn is_destroyed(&self) -> bool {
        self.balance(&Account::Sink(Sink::Destroyed)) > 0 && self.live_units() == 0
    }
}

/// A dispatched transfer awaiting receipt.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Transfer {
    /// Sender.
    pub(crate) from: Place,
    /// Addressee.
    pub(crate) to: Place,
    /// Items sent.
    pub(crate) items: Vec<ItemId>,
    /// Lot quantities sent.
    pub(crate) lots: Vec<LotQuantity>,
    /// When dispatched.
    pub(crate) at: Timestamp,
}

/// An export dispatched to another state, awaiting its delivery verification.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Export {
    /// Sender.
    pub(crate) from: Place,
    /// Items sent.
    pub(crate) items: Vec<ItemId>,
    /// Lot quantities sent.
    pub(crate) lots: Vec<LotQuantity>,
    /// The importing state, which verifies the delivery.
    pub(crate) importing_state: String,
    /// When dispatched.
    pub(crate) at: Timestamp,
}

/// A tracing request awaiting its answer.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TraceRequestState {
    /// The requesting state, ISO 3166-1 alpha-2.
    pub(crate) requesting_state: String,
    /// How it arrived.
    pub(crate) channel: crate::model::TraceChannel,
    /// The requester's reference.
    pub(crate) reference: String,
    /// The day it was received.
    pub(crate) received_on: Date,
    /// The day the answer is due.
    pub(crate) deadline: Date,
    /// The marking elements asked about.
    pub(crate) weapons: Vec<Marking>,
    /// When it was recorded.
    pub(crate) at: Timestamp,
}

/// An authorisation with what it still covers.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Authorisation {
    /// Order number.
    pub(crate) reference: String,
    /// Who authorised.
    pub(crate) actor: ActorId,
    /// When.
    pub(crate) at: Timestamp,
    /// Items not yet destroyed under it.
    pub(crate) items: BTreeSet<ItemId>,
    /// Lot quantities not yet destroyed under it.
    pub(crate) lots: BTreeMap<LotId, u64>,
    /// Allowed methods.
    pub(crate) methods: Vec<String>,
    // The version-2 members are skipped when absent, so that the state digest of a ledger of
    // version-1 authorisations is the one earlier versions computed.
    /// Allowed method steps (version 2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) steps: Vec<crate::model::DestructionMethod>,
    /// The only site where it may be carried out (version 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) site: Option<SiteId>,
    /// When it lapses (version 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<Timestamp>,
}

/// What reversing an event needs. Kept only while the event is still the latest event of
/// everything it touched (corrections undo the newest first), so the map stays bounded by the
/// state, not by the ledger's length. Every correctable event builds one: the records only a
/// few kinds close (a transfer, an export, an expenditure, an issue) are boxed, so that the
/// others build and free about half as many bytes.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Undo {
    pub(crate) actor: ActorId,
    pub(crate) at: Timestamp,
    pub(crate) stocks: Vec<Stock>,
    pub(crate) postings: Vec<Posting>,
    pub(crate) created: Vec<Stock>,
    pub(crate) statuses: Vec<(Stock, StockStatus)>,
    pub(crate) opened_transfer: Option<EventId>,
    pub(crate) closed_transfer: Option<Box<(EventId, Transfer)>>,
    pub(crate) opened_authorisation: Option<EventId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) opened_export: Option<EventId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) closed_export: Option<Box<(EventId, Export)>>,
    /// Items the event marked (each got one mark, its last).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) marked: Vec<ItemId>,
    /// The holds of the stocks whose hold the event set or lifted, before it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) holds: Vec<(Stock, Option<Box<Hold>>)>,
    /// Open expenditures and issues the event opened, closed or changed.
    #[serde(skip_serializing_if = "crate::ledger::lifecycle::LifecycleUndo::is_empty")]
    pub(crate) lifecycle: crate::ledger::lifecycle::LifecycleUndo,
    /// Full counts and inspections the event recorded, with the values before. Not in the
    /// state digest, like `State::facts`.
    #[serde(skip)]
    pub(crate) facts: crate::ledger::queries::FactsUndo,
    /// The surveillance values of the lots an inspection changed, before it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) surveyed: Vec<crate::ledger::surveillance::Surveyed>,
}

/// The fields of [`State`] that [`State::digest`] writes on a second thread, in the order of
/// the values it writes there.
const DIGEST_DEFERRED: [&str; 2] = ["lots", "undo"];

/// Everything derived from the events so far.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct State {
    // Hashed, like the stocks' maps: looked up by id several times per event (the signers,
    // the recording actor, custodians up their `member_of` chain, sites), and a B-tree of
    // string ids compared the ids at every level. The few who list them sort (`actors()`,
    // `sites()`, the state digest).
    pub(crate) actors: HJMap<ActorId, ActorState>,
    pub(crate) key_owner: HJMap<PublicKey, ActorId>,
    pub(crate) sites: HJMap<SiteId, SiteState>,
    // Boxed: an `ItemState` is about 500 bytes, and a hash table keeps an eighth or more of
    // its slots empty (up to half just after it grows); boxed, an empty slot costs 8 bytes.
    pub(crate) items: HJMap<ItemId, Box<ItemState>>,
    pub(crate) lots: HJMap<LotId, LotState>,
    pub(crate) lot_children: JMap<LotId, BTreeSet<LotId>>,
    // INVARIANT (by-account): for every account, the non-zero balance of every stock in it;
    // equal to what items' locations and lots' balances say.
    #[serde(serialize_with = "nested_as_pairs")]
    pub(crate) by_account: AccountIndex,
    pub(crate) transfers: HJMap<EventId, Transfer>,
    // Skipped when empty, so that the state digest of a ledger without exports is the one
    // earlier versions computed.
    /// Exports awaiting delivery verification.
    #[serde(skip_serializing_if = "JMap::is_empty")]
    pub(crate) exports: HJMap<EventId, Export>,
    pub(crate) authorisations: HJMap<EventId, Authorisation>,
    // Skipped when empty, so that the state digest of a ledger without seizures is the one
    // earlier versions computed.
    // INVARIANT (seizure-known): every hold's seizure is in `seizures`.
    /// Every `seizure` in force (not reversed), decided or not, so that a judicial order can
    /// tell a seizure that never was (2005) from stock its seizure does not hold (3101).
    #[serde(skip_serializing_if = "JSet::is_empty")]
    pub(crate) seizures: JSet<EventId>,
    // INVARIANT (trace-answered-once): a tracing request is in `trace_requests` until it is
    // answered, then in `trace_answers` (with its answer), never in both.
    // Both skipped when empty, so that the state digest of a ledger without tracing requests
    // is the one earlier versions computed.
    /// Tracing requests not yet answered.
    #[serde(skip_serializing_if = "JMap::is_empty")]
    pub(crate) trace_requests: JMap<EventId, TraceRequestState>,
    /// Tracing requests answered, with their `trace_response`.
    #[serde(skip_serializing_if = "JMap::is_empty")]
    pub(crate) trace_answers: HJMap<EventId, EventId>,
    // Boxed: an `Undo` is 1,280 bytes, every correctable event inserts one and removes
    // another, and a hash table keeps an eighth or more of its slots empty: 8-byte boxes, not
    // the records.
    pub(crate) undo: HJMap<EventId, Box<Undo>>,
    pub(crate) rules: Vec<RuleRef>,
    pub(crate) rules_event: Option<(EventId, Timestamp)>,
    /// When each open discrepancy account was opened.
    pub(crate) discrepancies: HJMap<EventId, Timestamp>,
    /// The first event's time: no event is dated before it.
    pub(crate) genesis_at: Option<Timestamp>,
    // INVARIANT (look-alikes): for every registered actor, site, item and lot, its look-alike
    // key (`lookalike`) maps to its id, so that an id differing only in case or by trailing
    // dots cannot be registered beside it.
    pub(crate) lookalikes: HJMap<String, String>,
    pub(crate) events: u64,
    // INVARIANT (versions-ascend): no accepted event has a lower format version than one
    // accepted before it, so that nobody can sign an old version to escape a newer rule.
    /// The highest format version of any accepted event (0 before the first).
    pub(crate) version_max: u32,
    // Skipped when empty, so that the state digest of a ledger without them is the one
    // earlier versions computed.
    /// Open expenditures and issues to persons.
    #[serde(skip_serializing_if = "crate::ledger::lifecycle::Lifecycle::is_empty")]
    pub(crate) lifecycle: crate::ledger::lifecycle::Lifecycle,
    // Not in the state digest, so that the digest of every ledger written before these facts
    // were kept (nearly all hold stock checks) is the one earlier versions computed; they are
    // derived from the events like the rest of the state.
    /// The last full count of each holding and the last inspection of each lot, which rule
    /// plugins may ask about (plugin ABI version 2).
    #[serde(skip)]
    pub(crate) facts: crate::ledger::queries::Facts,
    // INVARIANT (marking-index): `markings` indexes exactly the registered markings and the
    // applied marks of the items in `items`. Not in the state digest (derived from `items`).
    /// Normalised serial → items marked with it: answers "is this marking registered"
    /// without a scan of the items.
    #[serde(skip)]
    pub(crate) markings: crate::ledger::marking_index::MarkingIndex,
}

/// The form under which two ids of one kind (`a`ctor, `s`ite, `i`tem, `l`ot) look alike: ASCII
/// case folded and trailing dots removed. Ids stay exact (case-sensitive) everywhere else.
pub(crate) fn lookalike(kind: char, id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 2);
    out.push(kind);
    out.push(':');
    let start = out.len();
    out.push_str(id.trim_end_matches('.'));
    // Folded in place: one allocation per id (a lower-cased copy first cost a second).
    if let Some(folded) = out.get_mut(start..) {
        folded.make_ascii_lowercase();
    }
    out
}

/// A broken state invariant (a bug, never a user error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvariantError {
    /// Its name, as written at its `INVARIANT` comment.
    pub(crate) invariant: &'static str,
    /// What was found.
    pub(crate) detail: String,
}

impl From<InvariantError> for Error {
    fn from(e: InvariantError) -> Self {
        Error::new(ErrorKind::InvariantBroken {
            invariant: e.invariant.into(),
            detail: e.detail,
        })
    }
}

impl State {
    /// Number of events applied.
    pub(crate) fn event_count(&self) -> u64 {
        self.events
    }
    /// An actor.
    pub(crate) fn actor(&self, id: &ActorId) -> Option<&ActorState> {
        self.actors.get(id)
    }
    /// Every actor, in id order.
    pub(crate) fn actors(&self) -> impl Iterator<Item = &ActorState> {
        self.actors.sorted().into_iter().map(|(_, actor)| actor)
    }
    /// A site.
    pub(crate) fn site(&self, id: &SiteId) -> Option<&SiteState> {
        self.sites.get(id)
    }
    /// Every site, in id order.
    pub(crate) fn sites(&self) -> impl Iterator<Item = &SiteState> {
        self.sites.sorted().into_iter().map(|(_, site)| site)
    }
    /// An item.
    pub(crate) fn item(&self, id: &ItemId) -> Option<&ItemState> {
        self.items.get(id).map(Box::as_ref)
    }
    /// Every item, in id order.
    pub(crate) fn items(&self) -> impl Iterator<Item = &ItemState> {
        self.items.sorted().into_iter().map(|(_, i)| i.as_ref())
    }
    /// A lot.
    pub(crate) fn lot(&self, id: &LotId) -> Option<&LotState> {
        self.lots.get(id)
    }
    /// Every lot, in id order.
    pub(crate) fn lots(&self) -> impl Iterator<Item = &LotState> {
        self.lots.sorted().into_iter().map(|(_, l)| l)
    }
    /// Rules in force.
    pub(crate) fn rules_in_force(&self) -> &[RuleRef] {
        &self.rules
    }
    /// What each custodian holds at a site: (custodian, stock, units).
    pub(crate) fn holdings_at<'a>(
        &'a self,
        site: &'a SiteId,
    ) -> impl Iterator<Item = (&'a ActorId, &'a Stock, i128)> + 'a {
        // In account order (custodian, then stock), as the rules and the counts are given it.
        let mut held: Vec<_> = self
            .by_account
            .accounts()
            .filter_map(move |(account, stocks)| match account {
                Account::Holding { site: s, custodian } if s == site => {
                    Some(stocks.iter().map(move |(st, b)| (custodian, st, *b)))
                }
                _ => None,
            })
            .flatten()
            .collect();
        held.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        held.into_iter()
    }
    /// Whether `actor` may act for `custodian`: it is the custodian or a member of it, up the
    /// `member_of` chain.
    pub(crate) fn acts_for(&self, actor: &ActorId, custodian: &ActorId) -> bool {
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
    pub(crate) fn agency_of<'a>(&'a self, actor: &'a ActorId) -> &'a ActorId {
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
    pub(crate) fn digest(&self) -> crate::error::Result<crate::model::Digest> {
        use crate::envelope::canon_ser;
        // Every map in the state has string keys or is serialised as a list of pairs, so
        // encoding cannot fail; if it ever did, that is a bug reported as such. Written
        // straight from serde, with no `Value` tree: the same bytes as
        // `canon::write(&serde_json::to_value(self)?)`, in a fraction of the time.
        //
        // On two threads: the lots and the undo records (about half the bytes of a stockpile's
        // state) are written by a second one while this one writes the rest (`verify_jsonl`
        // computes the digest at its end, with the other cores idle). RFC 8785 is compositional: a
        // member's bytes do not depend on its neighbours, so the bytes hashed are those of the
        // whole state written at once (a test compares both). The members before the first
        // deferred one are hashed while the second thread still writes. Without a second
        // thread, the state is written on this one. Every path joins the second thread: a
        // panic of it (a bug) is met again on this one, not raised by the scope.
        let hashed = std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .spawn_scoped(scope, || -> crate::error::Result<[Vec<u8>; 2]> {
                    Ok([
                        canon_ser::to_vec(&self.lots)?,
                        canon_ser::to_vec(&self.undo)?,
                    ])
                })
                .ok()?;
            let (bytes, members) = match canon_ser::object_to_vec_deferring(self, &DIGEST_DEFERRED)
            {
                Ok(rest) => rest,
                Err(e) => {
                    let _ = worker.join();
                    return Some(Err(e));
                }
            };
            let mut worker = Some(worker);
            let mut values: Option<[Vec<u8>; 2]> = None;
            let mut hash = Sha256::new();
            hash.update(b"{");
            for (i, member) in members.iter().enumerate() {
                if i > 0 {
                    hash.update(b",");
                }
                // INVARIANT (members-in-buffer, `canon_ser`): a member lies in the bytes
                // written; were it not, the digest would be of other bytes, so it is refused.
                let Some(part) = bytes.get(member.start..member.end) else {
                    let _ = worker.take().map(|w| w.join());
                    return Some(Err(crate::error::Error::new(
                        crate::error::ErrorKind::Internal {
                            detail: "state digest: a member outside the bytes written".into(),
                        },
                    )));
                };
                hash.update(part);
                let Some(at) = DIGEST_DEFERRED
                    .iter()
                    .position(|name| member.is_field(name))
                else {
                    continue;
                };
                if values.is_none() {
                    match worker.take()?.join().ok()? {
                        Ok(v) => values = Some(v),
                        Err(e) => return Some(Err(e)),
                    }
                }
                hash.update(values.as_ref()?.get(at)?);
            }
            hash.update(b"}");
            // Serde skipped both deferred fields (a state that writes them always, today).
            if let Some(worker) = worker {
                worker.join().ok()?.ok()?;
            }
            Some(Ok(crate::model::Digest::from_bytes(hash.finalize().into())))
        });
        match hashed {
            Some(digest) => digest,
            // No second thread, or it panicked: the whole state written on this one.
            None => {
                let bytes = canon_ser::to_vec(self)?;
                Ok(crate::model::Digest::from_bytes(
                    Sha256::digest(&bytes).into(),
                ))
            }
        }
    }

    /// Drops the state, its lots and undo records (the fields `digest` defers) on a second
    /// thread: the end of a verification, whose state is as large as the stockpile, with the
    /// other cores idle. Without a second thread, everything is dropped on this one.
    pub(crate) fn discard(mut self) {
        let deferred = (
            std::mem::take(&mut self.lots),
            std::mem::take(&mut self.undo),
        );
        std::thread::scope(|scope| {
            // A thread that cannot start drops its closure, and with it what it holds, here.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || drop(deferred));
            drop(self);
        });
    }

    /// Checks every invariant. Property tests and fuzz targets call it after every step; debug
    /// builds after every event.
    #[cfg_attr(
        not(any(debug_assertions, test, feature = "testkit")),
        allow(
            dead_code,
            reason = "only debug builds, tests and the testkit check invariants"
        )
    )]
    pub(crate) fn check_invariants(&self) -> Result<(), InvariantError> {
        let broken =
            |invariant: &'static str, detail: String| Err(InvariantError { invariant, detail });
        if let Some(request) = self
            .trace_requests
            .keys()
            .find(|r| self.trace_answers.contains_key(r))
        {
            return broken(
                "trace-answered-once",
                format!("tracing request `{request}` is both open and answered"),
            );
        }
        if crate::ledger::marking_index::MarkingIndex::of(self.items()) != self.markings {
            return broken(
                "marking-index",
                "the marking index differs from the items' markings".into(),
            );
        }
        let mut expected: BTreeMap<Account, BTreeMap<Stock, i128>> = BTreeMap::new();
        for (id, item) in self.items.sorted() {
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
        for (id, lot) in self.lots.sorted() {
            let sum: i128 = lot.balances.values().sum();
            if sum != 0 {
                return broken("lot-balance", format!("balances of `{id}` sum to {sum}"));
            }
            if !lot
                .balances
                .keys()
                .zip(lot.balances.keys().skip(1))
                .all(|(a, b)| a < b)
            {
                return broken(
                    "lot-balances-sorted",
                    format!("the accounts of `{id}` are out of order or repeated"),
                );
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
        if !self.by_account.holds_exactly(&expected) {
            return broken(
                "by-account",
                "the per-account index disagrees with items and lots".into(),
            );
        }
        let held = self
            .items()
            .map(|i| (i.item.id.to_string(), i.hold.is_some(), i.status))
            .chain(
                self.lots()
                    .map(|l| (l.lot.id.to_string(), l.hold.is_some(), l.status)),
            );
        // INVARIANT (seizure-known): every hold's seizure is a seizure in force.
        let holds = self
            .items()
            .filter_map(|i| i.hold.as_deref())
            .chain(self.lots().filter_map(|l| l.hold.as_deref()));
        for hold in holds {
            if !self.seizures.contains(&hold.seizure) {
                return broken(
                    "seizure-known",
                    format!(
                        "a hold names seizure `{}`, which is not in force",
                        hold.seizure
                    ),
                );
            }
        }
        for (stock, has_hold, status) in held {
            if has_hold && status.disposition != crate::model::Disposition::EvidenceHold {
                return broken(
                    "hold-disposition",
                    format!("`{stock}` has a hold but is `{}`", status.disposition),
                );
            }
        }
        for (key, owner) in self.key_owner.sorted() {
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
        let registered = self
            .actors
            .sorted()
            .into_iter()
            .map(|(i, _)| lookalike('a', i.as_str()))
            .chain(
                self.sites
                    .sorted()
                    .into_iter()
                    .map(|(i, _)| lookalike('s', i.as_str())),
            )
            .chain(
                self.items
                    .sorted()
                    .into_iter()
                    .map(|(i, _)| lookalike('i', i.as_str())),
            )
            .chain(
                self.lots
                    .sorted()
                    .into_iter()
                    .map(|(i, _)| lookalike('l', i.as_str())),
            );
        let mut expected_lookalikes = BTreeSet::new();
        for key in registered {
            if !self.lookalikes.contains_key(&key) || !expected_lookalikes.insert(key.clone()) {
                return broken("look-alikes", format!("`{key}` is missing or taken twice"));
            }
        }
        if expected_lookalikes.len() != self.lookalikes.len() {
            return broken(
                "look-alikes",
                "the map holds ids that are not registered".into(),
            );
        }
        for (id, export) in self.exports.sorted() {
            let account = Account::InTransit(*id);
            for item in &export.items {
                if self.items.get(item).is_some_and(|s| s.location != account) {
                    return broken(
                        "transfer-open",
                        format!("item `{item}` of open export `{id}` is not in transit"),
                    );
                }
            }
        }
        self.lifecycle.check(self)?;
        for (id, transfer) in self.transfers.sorted() {
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
                    lot.balances.adjust(&posting.from, -q);
                    lot.balances.adjust(&posting.to, q);
                }
            }
        }
        adjust_index(&mut self.by_account, &posting.from, &posting.stock, -q);
        adjust_index(&mut self.by_account, &posting.to, &posting.stock, q);
    }
}

pub(crate) fn adjust_index(
    index: &mut AccountIndex,
    account: &Account,
    stock: &Stock,
    delta: i128,
) {
    index.adjust(account, stock, delta);
}

fn nested_as_pairs<S: serde::Serializer>(map: &AccountIndex, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(map.sorted())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::OriginKind;

    #[test]
    fn lot_balances_keep_a_map_s_entries_and_its_digest_form() {
        // The accounts of a lot in a scrambled order, with deltas that bring some back to zero.
        let holding = |site: &str, custodian: &str| Account::Holding {
            site: SiteId::new(site).unwrap(),
            custodian: ActorId::new(custodian).unwrap(),
        };
        let accounts = [
            holding("depot:b", "unit:2"),
            Account::Sink(Sink::Destroyed),
            holding("depot:a", "unit:9"),
            Account::Source(crate::ledger::account::Source::Origin(
                OriginKind::Manufactured,
            )),
            Account::InTransit(EventId::from_bytes([7; 32])),
            holding("depot:a", "unit:1"),
            Account::Discrepancy(EventId::from_bytes([3; 32])),
        ];
        let mut balances = LotBalances::default();
        let mut map: BTreeMap<Account, i128> = BTreeMap::new();
        let mut rng = crate::testkit::SplitMix64::new(17);
        for step in 0..400 {
            let account = &accounts[rng.index(accounts.len())];
            // Now and then exactly what is there, negated: the balance goes to zero (and an
            // account without a balance gets -1, a new negative one, never a zero delta).
            let delta = if step % 5 == 0 {
                -map.get(account).copied().unwrap_or(1)
            } else {
                i128::from(rng.range(0, 6)) - 3
            };
            balances.adjust(account, delta);
            let entry = map.entry(account.clone()).or_insert(0);
            *entry += delta;
            if *entry == 0 {
                map.remove(account);
            }
            assert!(balances.iter().eq(map.iter()), "step {step}");
            for a in &accounts {
                assert_eq!(balances.get(a), map.get(a));
            }
        }
        assert!(!map.is_empty());
        let pairs: Vec<(&Account, &i128)> = map.iter().collect();
        assert_eq!(
            serde_json::to_string(&balances).unwrap(),
            serde_json::to_string(&pairs).unwrap()
        );
    }

    #[test]
    fn a_lot_s_balances_out_of_order_break_an_invariant() {
        let mut state = State::default();
        for e in crate::testkit::events(19, 400).unwrap() {
            state
                .apply(&e, crate::ledger::SignatureCheck::AlreadyVerified, None)
                .unwrap();
        }
        assert_eq!(state.check_invariants(), Ok(()));
        // A lot held in two accounts or more, its list reversed: the same balances, out of
        // order (every other invariant still holds).
        let id = state
            .lots
            .sorted()
            .into_iter()
            .find(|(_, lot)| lot.balances.0.len() >= 2)
            .map(|(id, _)| id.clone())
            .unwrap();
        state.lots.get_mut(&id).unwrap().balances.0.reverse();
        assert_eq!(
            state.check_invariants().map_err(|e| e.invariant),
            Err("lot-balances-sorted")
        );
    }
}
