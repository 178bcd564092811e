//! The plan of one event: every check runs against the state as it is, collecting the event's
//! effects (postings, new stock, status changes, ...) into [`Effects`] without changing
//! anything. Only when the whole plan succeeded does `commit` apply the effects, so a refused
//! event changes nothing. The helpers here are the checks every kind shares: references exist,
//! the actor acts for the custodian, nothing is moved that is not held, nothing is dated
//! before what it builds on.

use crate::envelope::Signature;
use crate::error::{Error, ErrorKind, Result, at};
use crate::ledger::account::{Account, Posting, Sink, Stock};
use crate::ledger::state::{
    ActorState, Authorisation, Export, ItemState, LotState, SiteState, State, Transfer,
};
use crate::model::{
    ActorId, Condition, Disposition, EventId, ItemId, LotId, LotQuantity, Place, PublicKey, Role,
    RuleRef, Site, SiteId, Status, StockStatus, Timestamp,
};

/// A change to actors and keys.
#[derive(Clone, Debug)]
pub(crate) enum ActorOp {
    Register(crate::model::Actor),
    AddKey(ActorId, PublicKey),
    RevokeKey(ActorId, PublicKey),
}

/// What a destruction takes from its authorisation: (authorisation, items, lot quantities).
pub(crate) type Consumption = (EventId, Vec<ItemId>, Vec<(LotId, u64)>);

/// Everything an event changes, applied by `commit` once every check passed. The records only
/// one kind opens (a transfer, an export, a tracing request, an authorisation, a site) are
/// boxed: a plan is moved a few times per event, and the others need not carry their bytes.
#[derive(Default, Debug)]
pub(crate) struct Effects {
    pub(crate) postings: Vec<Posting>,
    /// Existing items and lots the event touches.
    pub(crate) touched: Touched,
    pub(crate) created_items: Vec<ItemState>,
    pub(crate) created_lots: Vec<LotState>,
    pub(crate) statuses: Vec<(Stock, StockStatus)>,
    pub(crate) open_transfer: Option<Box<Transfer>>,
    pub(crate) close_transfer: Option<EventId>,
    pub(crate) open_export: Option<Box<Export>>,
    pub(crate) close_export: Option<EventId>,
    /// Marks applied to existing items.
    pub(crate) marks: Vec<crate::ledger::state::AppliedMark>,
    /// Evidence holds set (`Some`) or lifted (`None`).
    pub(crate) holds: Vec<(Stock, Option<Box<crate::ledger::state::Hold>>)>,
    /// A tracing request received.
    pub(crate) open_trace: Option<Box<crate::ledger::state::TraceRequestState>>,
    /// The tracing request answered.
    pub(crate) answer_trace: Option<EventId>,
    pub(crate) open_authorisation: Option<Box<Authorisation>>,
    pub(crate) consume_authorisation: Option<Consumption>,
    pub(crate) actor_ops: Vec<ActorOp>,
    pub(crate) site: Option<Box<Site>>,
    pub(crate) rules: Option<Vec<RuleRef>>,
    pub(crate) correction: Option<EventId>,
    /// Discrepancy accounts the event opens (for their time, which later events must follow).
    pub(crate) opens_discrepancy: bool,
    /// Whether a later correction may reverse the event.
    pub(crate) correctable: bool,
    /// Expenditures and issues to persons opened, closed or changed.
    pub(crate) lifecycle: crate::ledger::lifecycle::LifecycleEffects,
    /// Full counts and inspections, for rule queries (plugin ABI version 2).
    pub(crate) facts: crate::ledger::queries::FactsEffects,
    /// Surveillance values an inspection sets on lots.
    pub(crate) surveyed: Vec<crate::ledger::surveillance::Surveyed>,
}

/// How many touched stocks are scanned for a repeat before a hash set indexes them.
const TOUCHED_SCANNED_MAX: usize = 16;

/// The existing stocks an event touches, each once, in id order once the kind has planned
/// ([`Plan::settle`]). A list: an event touches a few stocks, and a `BTreeSet` cost
/// two searches by string id per touch, a node's allocation and its release on every event
/// replayed; a hash set beside the list past [`TOUCHED_SCANNED_MAX`] keeps a dispatch of a
/// whole holding (thousands of stocks) linear. The same pattern as [`ScanMap`], kept apart:
/// a `ScanMap<Stock, ()>` (sorted in place, its index kept true) cost 2 % more of a replay's
/// instructions (session 41, callgrind).
#[derive(Default, Debug)]
pub(crate) struct Touched {
    list: Vec<Stock>,
    // INVARIANT (touched-index): `None` while `list` has at most `TOUCHED_SCANNED_MAX` stocks,
    // then exactly the stocks of `list`.
    index: Option<std::collections::HashSet<Stock, ahash::RandomState>>,
}

impl Touched {
    /// Whether `stock` is in it.
    pub(crate) fn contains(&self, stock: &Stock) -> bool {
        match &self.index {
            Some(index) => index.contains(stock),
            None => self.list.contains(stock),
        }
    }

    /// Adds `stock` unless it is in it already.
    pub(crate) fn insert(&mut self, stock: Stock) {
        if !self.contains(&stock) {
            self.push_new(stock);
        }
    }

    /// Adds `stock`, which is not in it.
    fn push_new(&mut self, stock: Stock) {
        match &mut self.index {
            Some(index) => {
                index.insert(stock.clone());
            }
            None if self.list.len() >= TOUCHED_SCANNED_MAX => {
                let mut index: std::collections::HashSet<Stock, _> = Default::default();
                index.extend(self.list.iter().cloned());
                index.insert(stock.clone());
                self.index = Some(index);
            }
            None => {}
        }
        self.list.push(stock);
    }

    /// How many.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Every one, in id order once settled.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Stock> {
        self.list.iter()
    }

    /// Puts them in id order (no two are equal).
    fn settle(&mut self) {
        self.list.sort_unstable();
    }

    /// The list, in id order once settled.
    pub(crate) fn into_vec(self) -> Vec<Stock> {
        self.list
    }
}

/// How many keys a [`ScanMap`] scans before a hash index finds them.
const MAP_SCANNED_MAX: usize = 16;

/// What an event changed so far, by item or lot: a list scanned while it is short (an event
/// moves a few stocks), with a hash index beside it past [`MAP_SCANNED_MAX`] so that moving a
/// whole holding (thousands of stocks) stays linear. A `BTreeMap` cost a node's allocation,
/// searches by string comparison and a release on every event replayed.
#[derive(Debug)]
pub(crate) struct ScanMap<K, V> {
    list: Vec<(K, V)>,
    // INVARIANT (scan-index): `None` while `list` has at most `MAP_SCANNED_MAX` entries, then
    // every key of `list` with its position.
    index: Option<std::collections::HashMap<K, usize, ahash::RandomState>>,
}

impl<K, V> Default for ScanMap<K, V> {
    fn default() -> Self {
        ScanMap {
            list: Vec::new(),
            index: None,
        }
    }
}

impl<K: Eq + std::hash::Hash + Clone, V> ScanMap<K, V> {
    fn position(&self, key: &K) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.list.iter().position(|(k, _)| k == key),
        }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let at = self.position(key)?;
        self.list.get(at).map(|(_, v)| v)
    }

    /// The value of `key`, to change.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let at = self.position(key)?;
        self.list.get_mut(at).map(|(_, v)| v)
    }

    /// Sets the value of `key`.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        if let Some(slot) = self.get_mut(&key) {
            *slot = value;
            return;
        }
        let at = self.list.len();
        match &mut self.index {
            Some(index) => {
                index.insert(key.clone(), at);
            }
            None if at >= MAP_SCANNED_MAX => {
                let mut index: std::collections::HashMap<K, usize, ahash::RandomState> =
                    Default::default();
                index.extend(
                    self.list
                        .iter()
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i)),
                );
                index.insert(key.clone(), at);
                self.index = Some(index);
            }
            None => {}
        }
        self.list.push((key, value));
    }
}

/// How many elements of a list [`first_repeat`] scans before it hashes them.
const REPEATS_SCANNED_MAX: usize = 16;

/// The first element of `items` equal to an earlier one, with its position. The first
/// [`REPEATS_SCANNED_MAX`] are compared with each other where they lie (an event lists a few
/// stocks: no allocation); a longer list is hashed from there on.
pub(crate) fn first_repeat<'t, T: Eq + std::hash::Hash + 't>(
    items: impl IntoIterator<Item = &'t T>,
) -> Option<(usize, &'t T)> {
    let mut few: [Option<&T>; REPEATS_SCANNED_MAX] = [None; REPEATS_SCANNED_MAX];
    let mut many: Option<std::collections::HashSet<&T, ahash::RandomState>> = None;
    for (i, item) in items.into_iter().enumerate() {
        if let Some(seen) = &mut many {
            if !seen.insert(item) {
                return Some((i, item));
            }
        } else if few.iter().flatten().any(|seen| *seen == item) {
            return Some((i, item));
        } else if let Some(slot) = few.get_mut(i) {
            *slot = Some(item);
        } else {
            let mut seen: std::collections::HashSet<&T, ahash::RandomState> =
                few.iter().flatten().copied().collect();
            seen.insert(item);
            many = Some(seen);
        }
    }
    None
}

/// Checks made when an event is appended, never when a ledger is verified or replayed: they
/// depend on the appending machine (its clock) or on the operator's settings, and a ledger
/// must verify the same years later on any machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// The appending machine's clock, seconds since the Unix epoch.
    pub(crate) now_unix: i64,
    /// How far ahead of that clock an event may be dated, seconds.
    pub(crate) future_secs_max: i64,
    /// How much more of a lot a receipt may acknowledge than was dispatched, in percent of
    /// the dispatched quantity (the excess comes from the receipt's discrepancy account).
    pub(crate) receipt_excess_percent_max: u64,
}

/// What a required parent is the latest event of: kept as it is and written out only when an
/// error names it (every event requires a parent or more; formatting each was a cost on every
/// replay).
#[derive(Clone, Debug)]
pub(crate) enum ParentOf {
    /// An item or lot.
    Stock(Stock),
    /// A site.
    Site(SiteId),
    /// An actor.
    Actor(ActorId),
    /// An event referred to, with what it is (`transfer`, `discrepancy`).
    Event(&'static str, EventId),
    /// Something without an id (`rules in force`).
    Named(&'static str),
}

impl std::fmt::Display for ParentOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParentOf::Stock(stock) => stock.fmt(f),
            ParentOf::Site(site) => site.fmt(f),
            ParentOf::Actor(actor) => actor.fmt(f),
            ParentOf::Event(what, id) => write!(f, "{what} {id}"),
            ParentOf::Named(what) => f.write_str(what),
        }
    }
}

impl From<&Stock> for ParentOf {
    fn from(stock: &Stock) -> Self {
        ParentOf::Stock(stock.clone())
    }
}

impl From<&SiteId> for ParentOf {
    fn from(site: &SiteId) -> Self {
        ParentOf::Site(site.clone())
    }
}

impl From<&ActorId> for ParentOf {
    fn from(actor: &ActorId) -> Self {
        ParentOf::Actor(actor.clone())
    }
}

impl From<&'static str> for ParentOf {
    fn from(what: &'static str) -> Self {
        ParentOf::Named(what)
    }
}

/// The plan of one event over the state before it.
pub(crate) struct Plan<'a> {
    pub(crate) state: &'a State,
    pub(crate) id: EventId,
    pub(crate) actor: &'a ActorId,
    /// The recording actor (none only for the genesis event).
    pub(crate) actor_state: Option<&'a ActorState>,
    pub(crate) at: &'a Timestamp,
    /// The event's format version: rules added by a version apply to events of that version
    /// and later only (`docs/FORMAT.md`, "Versions").
    pub(crate) version: u32,
    pub(crate) fx: Effects,
    /// Balance changes so far, per lot and account, so that several postings of one event see
    /// each other. Per lot, a short list of accounts (a posting touches two), so that a look-up
    /// borrows the ids instead of cloning them into a key.
    lot_delta: ScanMap<LotId, Vec<(Account, i128)>>,
    /// Item locations so far.
    item_loc: ScanMap<ItemId, Account>,
    /// The parents the event must carry, with what each is the latest event of: in the order
    /// required while the kind plans, then sorted by id with repeats dropped (the first kept)
    /// by [`Plan::settle`]. A list, not a tree: an event requires a few parents, and a
    /// tree cost an allocation and its release on every event replayed.
    pub(crate) parents: Vec<(EventId, ParentOf)>,
    /// The site whose contents change, for rule plugins.
    pub(crate) focus_site: Option<SiteId>,
    /// The append-time checks, when appending.
    pub(crate) policy: Option<Policy>,
    /// The event's signatures, once checked; `None` while the event is only being prepared
    /// (its parents computed before it is signed). Read through [`Plan::signed_by`].
    pub(crate) signatures: Option<&'a [Signature]>,
}

/// Where a check looks in an event: a JSON Pointer, written out only if the check fails. An
/// event's checks name many places (several per list element) and nearly all of them pass, so
/// none is built until an error needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'s> {
    /// A pointer, as written.
    Str(&'s str),
    /// `base/i/rest`: a member of the `i`-th element of a list.
    Element {
        base: &'s str,
        i: usize,
        rest: &'s str,
    },
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Str(s) => f.write_str(s),
            Path::Element { base, i, rest } => write!(f, "{base}/{i}{rest}"),
        }
    }
}

impl<'s> From<&'s str> for Path<'s> {
    fn from(s: &'s str) -> Self {
        Path::Str(s)
    }
}

impl<'s> From<&'s String> for Path<'s> {
    fn from(s: &'s String) -> Self {
        Path::Str(s)
    }
}

impl<'s> From<&Path<'s>> for Path<'s> {
    fn from(p: &Path<'s>) -> Self {
        *p
    }
}

impl From<Path<'_>> for String {
    fn from(p: Path<'_>) -> Self {
        p.to_string()
    }
}

impl From<&Path<'_>> for String {
    fn from(p: &Path<'_>) -> Self {
        p.to_string()
    }
}

/// `base/i/rest`: the JSON Pointer of a member of the `i`-th element of a list.
pub(crate) fn field<'s>(base: &'s str, i: usize, rest: &'s str) -> Path<'s> {
    Path::Element { base, i, rest }
}

/// The holding account of a place.
pub(crate) fn holding(place: &Place) -> Account {
    held(&place.site, &place.custodian)
}

/// The holding account of a custodian at a site.
pub(crate) fn held(site: &SiteId, custodian: &ActorId) -> Account {
    Account::Holding {
        site: site.clone(),
        custodian: custodian.clone(),
    }
}

fn clamp(v: i128) -> i64 {
    // Balances are bounded well inside i64 (quantities are below 2^53 and a holding cannot
    // exceed the sum of registered quantities); clamping only shapes an error message.
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

impl<'a> Plan<'a> {
    pub(crate) fn new(
        state: &'a State,
        id: EventId,
        actor: &'a ActorId,
        actor_state: Option<&'a ActorState>,
        at: &'a Timestamp,
        version: u32,
    ) -> Self {
        Plan {
            state,
            id,
            actor,
            actor_state,
            at,
            version,
            fx: Effects::default(),
            lot_delta: ScanMap::default(),
            item_loc: ScanMap::default(),
            parents: Vec::new(),
            focus_site: None,
            policy: None,
            signatures: None,
        }
    }

    /// Whether `actor` signed the event (owns a key that signed it), once its signatures were
    /// checked; `None` while it is only being prepared. As [`State::signers`]: when no signing
    /// key has an owner yet (the genesis event), the recording actor is the signer. Asked of
    /// the signatures where needed, so an event pays for no list of its signers.
    pub(crate) fn signed_by(&self, actor: &ActorId) -> Option<bool> {
        let mut owned = false;
        for s in self.signatures? {
            if let Some(owner) = self.state.key_owner.get(&s.key) {
                if owner == actor {
                    return Some(true);
                }
                owned = true;
            }
        }
        Some(!owned && actor == self.actor)
    }

    /// An error about this event at `field`.
    pub(crate) fn err(&self, field: impl Into<String>, kind: ErrorKind) -> Error {
        at(self.id, field, kind)
    }

    pub(crate) fn unknown(&self, field: impl Into<String>, value: impl ToString) -> Error {
        self.err(
            field,
            ErrorKind::UnknownReference {
                value: value.to_string(),
            },
        )
    }

    pub(crate) fn already_exists(&self, field: impl Into<String>, value: impl ToString) -> Error {
        self.err(
            field,
            ErrorKind::AlreadyExists {
                value: value.to_string(),
            },
        )
    }

    /// `parent` (the latest event of `of`, or an event referred to) must be among the event's
    /// parents, and the event may not be dated before it.
    // INVARIANT (time-order): an event is dated no earlier than any of its parents, so time
    // never runs backwards along the DAG.
    pub(crate) fn require_parent(
        &mut self,
        parent: EventId,
        of: impl Into<ParentOf>,
        parent_at: &Timestamp,
    ) -> Result<()> {
        let of = of.into();
        if self.at < parent_at {
            return Err(self.err(
                "/at",
                ErrorKind::DatedBeforeLast {
                    at: self.at.to_string(),
                    last_at: parent_at.to_string(),
                    of: of.to_string(),
                },
            ));
        }
        // Repeats in a row (several stocks whose latest event is the same) are common; the
        // others go when the plan is settled.
        if self.parents.last().map(|(last, _)| *last) != Some(parent) {
            self.parents.push((parent, of));
        }
        Ok(())
    }

    /// Sorts the required parents by id and drops repeats, keeping the first requirement of
    /// each (what it is the latest event of, for errors), and puts the touched stocks in id
    /// order. Called once the kind has planned.
    pub(crate) fn settle(&mut self) {
        // Stable: of equal ids, the first required stays first, and `dedup_by` keeps it.
        self.parents.sort_by_key(|(id, _)| *id);
        self.parents.dedup_by(|later, kept| later.0 == kept.0);
        self.fx.touched.settle();
    }

    /// Whether `parent` is among the required parents (once settled).
    pub(crate) fn requires_parent(&self, parent: &EventId) -> bool {
        self.parents
            .binary_search_by(|(id, _)| id.cmp(parent))
            .is_ok()
    }

    /// The status an event gives stock that was `before`: a format-version-1 `status`, or the
    /// `condition` and `disposition` of version 2 (each kept when absent). `status` and the
    /// pair exclude each other; version-1 events carry only `status`. `at` is the JSON pointer
    /// of the object holding the members (`""` for the event itself).
    pub(crate) fn status_members<'f>(
        &self,
        at: impl Into<Path<'f>>,
        before: StockStatus,
        status: Option<Status>,
        condition: Option<Condition>,
        disposition: Option<Disposition>,
    ) -> Result<StockStatus> {
        let at: Path<'_> = at.into();
        let refuse = |member: &str, value: &str, reason: &str| {
            self.err(
                format!("{at}/{member}"),
                ErrorKind::FieldInvalid {
                    value: value.to_owned(),
                    reason: reason.to_owned(),
                },
            )
        };
        if self.version < 2 {
            if let Some(c) = condition {
                return Err(refuse(
                    "condition",
                    c.as_str(),
                    "`condition` needs format version 2",
                ));
            }
            if let Some(d) = disposition {
                return Err(refuse(
                    "disposition",
                    d.as_str(),
                    "`disposition` needs format version 2",
                ));
            }
        }
        match (status, condition, disposition) {
            (Some(s), None, None) => Ok(before.after_legacy(s)),
            (Some(s), _, _) => Err(refuse(
                "status",
                s.as_str(),
                "give either `status` (format version 1) or `condition` and `disposition`",
            )),
            (None, c, d) => Ok(StockStatus {
                condition: c.unwrap_or(before.condition),
                disposition: d.unwrap_or(before.disposition),
            }),
        }
    }

    /// The recording actor (not the genesis event's) must hold `role`.
    pub(crate) fn require_role(&self, role: Role, needed_for: &str) -> Result<()> {
        self.actor_has_role(self.actor, role, needed_for)
    }

    pub(crate) fn actor_has_role(
        &self,
        actor: &ActorId,
        role: Role,
        needed_for: &str,
    ) -> Result<()> {
        match self.state.actors.get(actor) {
            Some(a) if a.has_role(role) => Ok(()),
            _ => Err(self.err(
                "/actor",
                ErrorKind::MissingRole {
                    actor: actor.to_string(),
                    role: crate::ledger::state::role_name(role),
                    needed_for: needed_for.to_owned(),
                },
            )),
        }
    }

    /// A registered site; the event may not be dated before its registration.
    pub(crate) fn site<'f>(
        &self,
        field: impl Into<Path<'f>>,
        id: &SiteId,
    ) -> Result<&'a SiteState> {
        let field: Path<'_> = field.into();
        let site = self
            .state
            .sites
            .get(id)
            .ok_or_else(|| self.unknown(field, id))?;
        if self.at < &site.registered_at {
            return Err(self.err(
                "/at",
                ErrorKind::DatedBeforeLast {
                    at: self.at.to_string(),
                    last_at: site.registered_at.to_string(),
                    of: id.to_string(),
                },
            ));
        }
        Ok(site)
    }

    fn holder<'f>(
        &self,
        field: impl Into<Path<'f>>,
        custodian: &ActorId,
    ) -> Result<&'a ActorState> {
        let field: Path<'_> = field.into();
        let state = self
            .state
            .actors
            .get(custodian)
            .ok_or_else(|| self.unknown(field, custodian))?;
        if !state.has_role(Role::Custodian) {
            return Err(self.err(
                field,
                ErrorKind::MissingRole {
                    actor: custodian.to_string(),
                    role: crate::ledger::state::role_name(Role::Custodian),
                    needed_for: "holding stock".into(),
                },
            ));
        }
        Ok(state)
    }

    /// The custodian must be registered with the custodian role, and the recording actor must
    /// act for it.
    pub(crate) fn custodian<'f>(
        &self,
        field: impl Into<Path<'f>>,
        custodian: &ActorId,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        self.holder(field, custodian)?;
        if !self.state.acts_for(self.actor, custodian) {
            return Err(self.not_custodian(field, custodian));
        }
        Ok(())
    }

    pub(crate) fn not_custodian<'f>(
        &self,
        field: impl Into<Path<'f>>,
        custodian: &ActorId,
    ) -> Error {
        let field: Path<'_> = field.into();
        self.err(
            field,
            ErrorKind::NotCustodian {
                actor: self.actor.to_string(),
                custodian: custodian.to_string(),
            },
        )
    }

    /// A custodian that may receive stock (registered, with the custodian role).
    pub(crate) fn addressee<'f>(
        &self,
        field: impl Into<Path<'f>>,
        custodian: &ActorId,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        self.holder(field, custodian).map(|_| ())
    }

    /// Marks an existing stock as touched: refused if destroyed; its latest event becomes a
    /// required parent, which the event may not predate. A correction may touch a lot that
    /// looks destroyed (units destroyed, none live): the event it reverses is still the latest
    /// of every stock it touched and destructions are not correctable, so that event emptied
    /// the lot (a split or a loss after a partial destruction) and reversing it refills it.
    fn touch<'f>(
        &mut self,
        field: impl Into<Path<'f>>,
        stock: Stock,
        destroyed: bool,
        last_event: EventId,
        last_at: &Timestamp,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        if destroyed && self.fx.correction.is_none() {
            return Err(self.err(
                field,
                ErrorKind::AfterDestruction {
                    stock: stock.to_string(),
                },
            ));
        }
        if !self.fx.touched.contains(&stock) {
            self.require_parent(last_event, &stock, last_at)?;
            self.fx.touched.push_new(stock);
        }
        Ok(())
    }

    /// An existing item, not destroyed; it becomes touched and its latest event a parent.
    pub(crate) fn item<'f>(
        &mut self,
        field: impl Into<Path<'f>>,
        id: &ItemId,
    ) -> Result<&'a ItemState> {
        let field: Path<'_> = field.into();
        let item = self
            .state
            .items
            .get(id)
            .ok_or_else(|| self.unknown(field, id))?;
        let destroyed = item.location == Account::Sink(Sink::Destroyed);
        self.touch(
            field,
            Stock::Item(id.clone()),
            destroyed,
            item.last_event,
            &item.last_at,
        )?;
        Ok(item)
    }

    /// An existing lot, not destroyed; it becomes touched and its latest event a parent.
    pub(crate) fn lot<'f>(
        &mut self,
        field: impl Into<Path<'f>>,
        id: &LotId,
    ) -> Result<&'a LotState> {
        let field: Path<'_> = field.into();
        let lot = self
            .state
            .lots
            .get(id)
            .ok_or_else(|| self.unknown(field, id))?;
        self.touch(
            field,
            Stock::Lot(id.clone()),
            lot.is_destroyed(),
            lot.last_event,
            &lot.last_at,
        )?;
        Ok(lot)
    }

    /// Where an item is now, counting this event's earlier moves.
    pub(crate) fn item_location(&self, id: &ItemId, booked: &'a Account) -> Account {
        self.item_loc.get(id).unwrap_or(booked).clone()
    }

    /// Moves an item from `from` (where it must be) to `to`.
    pub(crate) fn move_item<'f>(
        &mut self,
        field: impl Into<Path<'f>>,
        id: &ItemId,
        from: &Account,
        to: Account,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        let item = self.item(field, id)?;
        // Where it is now, borrowed: `item_location` without the copy.
        if self.item_loc.get(id).unwrap_or(&item.location) != from {
            return Err(self.err(
                field,
                ErrorKind::InsufficientStock {
                    stock: id.to_string(),
                    account: from.to_string(),
                    available: 0,
                    requested: 1,
                },
            ));
        }
        self.item_loc.insert(id.clone(), to.clone());
        self.fx.postings.push(Posting {
            stock: Stock::Item(id.clone()),
            from: from.clone(),
            to,
            quantity: 1,
        });
        Ok(())
    }

    /// A lot's balance in an account, counting this event's earlier postings.
    pub(crate) fn lot_balance(&self, id: &LotId, account: &Account) -> i128 {
        let base = self.state.lots.get(id).map_or(0, |l| l.balance(account));
        let moved = self.lot_delta.get(id).and_then(|accounts| {
            accounts
                .iter()
                .find_map(|(a, delta)| (a == account).then_some(*delta))
        });
        base + moved.unwrap_or(0)
    }

    /// Adds `delta` to what this event moved of lot `id` in `account`.
    fn add_lot_delta(&mut self, id: &LotId, account: &Account, delta: i128) {
        let Some(accounts) = self.lot_delta.get_mut(id) else {
            // A posting changes two of a lot's accounts.
            let mut accounts = Vec::with_capacity(2);
            accounts.push((account.clone(), delta));
            self.lot_delta.insert(id.clone(), accounts);
            return;
        };
        match accounts.iter_mut().find(|(a, _)| a == account) {
            Some((_, d)) => *d += delta,
            None => accounts.push((account.clone(), delta)),
        }
    }

    /// Moves `quantity` units of a lot from `from` to `to`. A lot registered by this event is
    /// not touched (it has no latest event yet).
    pub(crate) fn move_lot<'f>(
        &mut self,
        field: impl Into<Path<'f>>,
        id: &LotId,
        from: &Account,
        to: Account,
        quantity: u64,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        if quantity == 0 {
            return Err(self.err(field, ErrorKind::ZeroQuantity));
        }
        let created = self.fx.created_lots.iter().any(|l| &l.lot.id == id);
        if !created {
            self.lot(field, id)?;
        }
        let available = self.lot_balance(id, from);
        let q = i128::from(quantity);
        // INVARIANT (balance-bounded): no account holds more than the largest quantity, so
        // every balance fits 64 bits and every reader of the tables agrees on it.
        if self.lot_balance(id, &to) + q > i128::from(crate::model::QUANTITY_MAX) {
            return Err(self.err(
                field,
                ErrorKind::QuantityOverflow {
                    max: crate::model::QUANTITY_MAX,
                },
            ));
        }
        if !from.may_go_negative() && available < q {
            return Err(self.err(
                field,
                ErrorKind::InsufficientStock {
                    stock: id.to_string(),
                    account: from.to_string(),
                    available: clamp(available),
                    requested: quantity,
                },
            ));
        }
        self.add_lot_delta(id, from, -q);
        self.add_lot_delta(id, &to, q);
        self.fx.postings.push(Posting {
            stock: Stock::Lot(id.clone()),
            from: from.clone(),
            to,
            quantity,
        });
        Ok(())
    }

    /// No item twice in one list.
    pub(crate) fn distinct_items<'i>(
        &self,
        base: &str,
        items: impl IntoIterator<Item = &'i ItemId>,
    ) -> Result<()> {
        self.distinct(base, "", items)
    }

    /// No lot twice in one list.
    pub(crate) fn distinct_lots<'l>(
        &self,
        base: &str,
        lots: impl IntoIterator<Item = &'l LotId>,
    ) -> Result<()> {
        self.distinct(base, "/lot", lots)
    }

    /// No id twice in one list: the first repeat is refused at `base`/its position`suffix`.
    fn distinct<'t, T: Eq + std::hash::Hash + std::fmt::Display + 't>(
        &self,
        base: &str,
        suffix: &'static str,
        ids: impl IntoIterator<Item = &'t T>,
    ) -> Result<()> {
        match first_repeat(ids) {
            Some((i, id)) => Err(self.err(
                field(base, i, suffix),
                ErrorKind::Repeated {
                    value: id.to_string(),
                },
            )),
            None => Ok(()),
        }
    }

    /// Moves every listed item and lot quantity from `from` to `to`.
    pub(crate) fn move_all(
        &mut self,
        items: &[ItemId],
        lots: &[LotQuantity],
        from: &Account,
        to: &Account,
    ) -> Result<()> {
        self.distinct_items("/items", items)?;
        self.distinct_lots("/lots", lots.iter().map(|l| &l.lot))?;
        for (i, id) in items.iter().enumerate() {
            self.move_item(field("/items", i, ""), id, from, to.clone())?;
        }
        for (i, line) in lots.iter().enumerate() {
            // The lot must exist (named at its id), then the quantity must be there.
            if !self.fx.created_lots.iter().any(|l| l.lot.id == line.lot) {
                self.lot(field("/lots", i, "/lot"), &line.lot)?;
            }
            self.move_lot(
                field("/lots", i, "/quantity"),
                &line.lot,
                from,
                to.clone(),
                line.quantity.get(),
            )?;
        }
        Ok(())
    }

    /// The event must name at least one item or lot.
    pub(crate) fn something_moves(&self, items: &[ItemId], lots: &[LotQuantity]) -> Result<()> {
        if items.is_empty() && lots.is_empty() {
            Err(self.err("/items", ErrorKind::NothingToMove))
        } else {
            Ok(())
        }
    }

    /// A lot id that is neither registered nor created earlier in this event, nor a look-alike
    /// of one.
    pub(crate) fn new_lot_id<'f>(&self, field: impl Into<Path<'f>>, id: &LotId) -> Result<()> {
        let field: Path<'_> = field.into();
        let key = crate::ledger::state::lookalike('l', id.as_str());
        if let Some(l) = self
            .fx
            .created_lots
            .iter()
            .find(|l| crate::ledger::state::lookalike('l', l.lot.id.as_str()) == key)
        {
            return Err(if &l.lot.id == id {
                self.already_exists(field, id)
            } else {
                self.lookalike_of(field, id.as_str(), l.lot.id.as_str())
            });
        }
        self.new_id('l', field, id.as_str())
    }

    /// An id (of kind `a`ctor, `s`ite, `i`tem or `l`ot) that no registered id looks like.
    pub(crate) fn new_id<'f>(
        &self,
        kind: char,
        field: impl Into<Path<'f>>,
        id: &str,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        match self
            .state
            .lookalikes
            .get(&crate::ledger::state::lookalike(kind, id))
        {
            Some(existing) if existing == id => Err(self.already_exists(field, id)),
            Some(existing) => Err(self.lookalike_of(field, id, existing)),
            None => Ok(()),
        }
    }

    fn lookalike_of<'f>(&self, field: impl Into<Path<'f>>, id: &str, existing: &str) -> Error {
        let field: Path<'_> = field.into();
        self.err(
            field,
            ErrorKind::LookAlikeId {
                value: id.to_owned(),
                existing: existing.to_owned(),
            },
        )
    }

    /// Existing items and lots the event touches, then those it creates.
    pub(crate) fn all_stocks(&self) -> impl Iterator<Item = Stock> + '_ {
        let created_items = self
            .fx
            .created_items
            .iter()
            .map(|i| Stock::Item(i.item.id.clone()));
        let created_lots = self
            .fx
            .created_lots
            .iter()
            .map(|l| Stock::Lot(l.lot.id.clone()));
        self.fx
            .touched
            .iter()
            .cloned()
            .chain(created_items)
            .chain(created_lots)
    }
}

#[cfg(test)]
mod field_tests {
    use super::{Path, field};

    #[test]
    fn a_path_is_written_out_as_its_json_pointer() {
        for (path, written) in [
            (field("/items", 0, ""), "/items/0"),
            (field("/lots", 12_345, "/quantity"), "/lots/12345/quantity"),
            (field("", 9, "/x"), "/9/x"),
            (Path::Str("/site"), "/site"),
        ] {
            assert_eq!(String::from(path), written);
            assert_eq!(String::from(&path), written);
        }
    }
}

#[cfg(test)]
mod list_tests {
    #![allow(clippy::unwrap_used)]
    use super::{
        MAP_SCANNED_MAX, REPEATS_SCANNED_MAX, ScanMap, Stock, TOUCHED_SCANNED_MAX, Touched,
        first_repeat,
    };
    use crate::model::{ItemId, LotId};

    #[test]
    fn the_first_repeat_is_found_at_its_position_in_short_and_long_lists() {
        for len in [
            0,
            1,
            2,
            REPEATS_SCANNED_MAX - 1,
            REPEATS_SCANNED_MAX,
            REPEATS_SCANNED_MAX + 1,
            200,
        ] {
            let distinct: Vec<u32> = (0..u32::try_from(len).unwrap()).collect();
            assert_eq!(first_repeat(&distinct), None, "{len} distinct");
            // Each earlier element repeated at the end, and at every later position.
            for (earlier, value) in distinct.iter().enumerate() {
                for at in earlier + 1..=len {
                    let mut list = distinct.clone();
                    list.insert(at, *value);
                    assert_eq!(
                        first_repeat(&list),
                        Some((at, value)),
                        "{len}: {earlier} at {at}"
                    );
                }
            }
        }
        // Two repeats: the earlier position is named.
        let list: Vec<u32> = (0..40).chain([30, 5]).collect();
        assert_eq!(first_repeat(&list), Some((40, &30)));
    }

    #[test]
    fn touched_stocks_are_each_kept_once_and_settle_in_id_order() {
        for n in [3, TOUCHED_SCANNED_MAX, TOUCHED_SCANNED_MAX + 1, 100] {
            let stock = |i: usize| {
                if i.is_multiple_of(2) {
                    Stock::Item(ItemId::new(format!("item-{:03}", (i * 37) % 1000)).unwrap())
                } else {
                    Stock::Lot(LotId::new(format!("lot-{:03}", (i * 53) % 1000)).unwrap())
                }
            };
            let mut touched = Touched::default();
            for i in 0..n {
                assert!(!touched.contains(&stock(i)));
                touched.insert(stock(i));
                touched.insert(stock(i / 2));
                assert!(touched.contains(&stock(i)));
            }
            assert_eq!(touched.len(), n);
            touched.settle();
            let mut want: Vec<Stock> = (0..n).map(stock).collect();
            want.sort();
            assert_eq!(touched.into_vec(), want);
        }
    }

    #[test]
    fn a_scan_map_keeps_the_last_value_of_each_key_below_and_above_its_index() {
        for n in [1, MAP_SCANNED_MAX, MAP_SCANNED_MAX + 1, 300] {
            let mut map: ScanMap<ItemId, usize> = ScanMap::default();
            let key = |i: usize| ItemId::new(format!("item-{:04}", (i * 7919) % 10_000)).unwrap();
            for i in 0..n {
                assert_eq!(map.get(&key(i)), None);
                map.insert(key(i), i);
                // Every earlier key again, now and then: replaced, not added.
                map.insert(key(i / 3), 10_000 + i);
                if let Some(v) = map.get_mut(&key(i / 5)) {
                    *v += 1;
                }
            }
            let mut want = std::collections::BTreeMap::new();
            for i in 0..n {
                want.insert(key(i), i);
                want.insert(key(i / 3), 10_000 + i);
                if let Some(v) = want.get_mut(&key(i / 5)) {
                    *v += 1;
                }
            }
            for (k, v) in &want {
                assert_eq!(map.get(k), Some(v), "{n}: {k:?}");
            }
            assert_eq!(map.list.len(), want.len());
            assert_eq!(map.get(&ItemId::new("absent").unwrap()), None);
        }
    }
}
