//! Applying one event to the state: every check first, into a [`Plan`], then an infallible
//! commit. A refused event therefore changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Body, Event, LotQuantity, Place, SignedEvent};
use crate::ledger::account::{Account, Posting, Sink, Source, Stock};
use crate::ledger::error::LedgerError;
use crate::ledger::state::{
    ActorState, Authorisation, ItemState, LotState, SiteState, State, Transfer, Undo,
};
use crate::model::{
    Actor, ActorId, ActorKind, EventId, ItemId, Lot, LotId, Origin, PublicKey, Quantity, Role,
    Site, SiteId, Status, Timestamp,
};

/// How signatures are checked while applying.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SignatureCheck {
    /// Verify every signature (the default).
    Verify,
    /// The caller already verified every signature cryptographically (for example in a batch
    /// on all cores); only key ownership and revocation are checked here.
    AlreadyVerified,
}

/// What an accepted event did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Applied {
    /// The event's id.
    pub(crate) id: EventId,
    /// Existing items and lots the event touched, and those it created.
    pub(crate) stocks: Vec<Stock>,
    /// Items and lots that no longer exist after it (those a correction un-registered).
    pub(crate) removed: Vec<Stock>,
    /// Warnings from rule plugins.
    pub(crate) warnings: Vec<RuleWarning>,
}

/// A warning a rule plugin gave on an event it allowed.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
pub struct RuleWarning {
    /// The plugin's name.
    pub rule: String,
    /// Its stable code.
    pub code: String,
    /// Its message.
    pub message: String,
}

/// A rule plugin's refusal or failure.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RuleOutcome {
    /// The rule refused the event.
    Denied {
        /// Rule name.
        rule: String,
        /// Stable code.
        code: String,
        /// Message.
        message: String,
    },
    /// The rule could not be run.
    Failed {
        /// Rule name.
        rule: String,
        /// How it failed.
        failure: crate::error::RuleFailure,
        /// What the host reported.
        detail: String,
    },
}

/// Judges events against the rule plugins in force. `core` knows nothing of WASM: the
/// `custodia-plugins` crate implements this trait (`RuleSet`).
pub trait RuleEngine: Send + Sync {
    /// Runs every rule in `rules`, in order, on `input` (the ABI's input document,
    /// `docs/PLUGIN_ABI.md`). Returns the warnings of all rules when all allow, or the first
    /// refusal or failure.
    fn judge(
        &self,
        rules: &[crate::event::RuleRef],
        input: &serde_json::Value,
    ) -> Result<Vec<RuleWarning>, RuleOutcome>;
}

/// What a destruction takes from its authorisation: (authorisation, items, lot quantities).
type Consumption = (EventId, Vec<ItemId>, Vec<(LotId, u64)>);

/// Accepts every event as the rules in force judged it when it was appended. For replaying
/// events that a writer already judged (reopening a store, catching up with another writer);
/// verification must run the real plugins instead.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RecordedVerdicts;

impl RuleEngine for RecordedVerdicts {
    fn judge(
        &self,
        _rules: &[crate::event::RuleRef],
        _input: &serde_json::Value,
    ) -> Result<Vec<RuleWarning>, RuleOutcome> {
        Ok(Vec::new())
    }
}

enum ActorOp {
    Register(Actor),
    AddKey(ActorId, PublicKey),
    RevokeKey(ActorId, PublicKey),
}

pub(crate) struct Plan<'a> {
    state: &'a State,
    pub(crate) event: EventId,
    actor: ActorId,
    at: Timestamp,
    pub(crate) postings: Vec<Posting>,
    lot_delta: BTreeMap<(LotId, Account), i128>,
    item_loc: BTreeMap<ItemId, Account>,
    pub(crate) touched: BTreeSet<Stock>,
    parents: BTreeMap<EventId, String>,
    pub(crate) created_items: Vec<ItemState>,
    pub(crate) created_lots: Vec<LotState>,
    statuses: Vec<(Stock, Status)>,
    open_transfer: Option<Transfer>,
    close_transfer: Option<EventId>,
    open_authorisation: Option<Authorisation>,
    consume_authorisation: Option<Consumption>,
    actor_ops: Vec<ActorOp>,
    site: Option<Site>,
    rules: Option<Vec<crate::event::RuleRef>>,
    correction: Option<EventId>,
    correctable: bool,
    /// The site whose contents change, for rule plugins.
    pub(crate) focus_site: Option<SiteId>,
}

/// The owned part of a plan, committed once every check passed.
pub(crate) struct Changes {
    event: EventId,
    at: Timestamp,
    postings: Vec<Posting>,
    touched: BTreeSet<Stock>,
    created_items: Vec<ItemState>,
    created_lots: Vec<LotState>,
    statuses: Vec<(Stock, Status)>,
    open_transfer: Option<Transfer>,
    close_transfer: Option<EventId>,
    open_authorisation: Option<Authorisation>,
    consume_authorisation: Option<Consumption>,
    actor_ops: Vec<ActorOp>,
    site: Option<Site>,
    rules: Option<Vec<crate::event::RuleRef>>,
    correction: Option<EventId>,
    correctable: bool,
}

impl Plan<'_> {
    /// Existing items and lots the event touches, then those it creates.
    pub(crate) fn all_stocks(&self) -> impl Iterator<Item = Stock> + '_ {
        let created_items = self
            .created_items
            .iter()
            .map(|i| Stock::Item(i.item.id.clone()));
        let created_lots = self
            .created_lots
            .iter()
            .map(|l| Stock::Lot(l.lot.id.clone()));
        self.touched
            .iter()
            .cloned()
            .chain(created_items)
            .chain(created_lots)
    }

    fn detach(self) -> Changes {
        Changes {
            event: self.event,
            at: self.at,
            postings: self.postings,
            touched: self.touched,
            created_items: self.created_items,
            created_lots: self.created_lots,
            statuses: self.statuses,
            open_transfer: self.open_transfer,
            close_transfer: self.close_transfer,
            open_authorisation: self.open_authorisation,
            consume_authorisation: self.consume_authorisation,
            actor_ops: self.actor_ops,
            site: self.site,
            rules: self.rules,
            correction: self.correction,
            correctable: self.correctable,
        }
    }
}

fn field(base: &str, i: usize, rest: &str) -> String {
    format!("{base}/{i}{rest}")
}

impl<'a> Plan<'a> {
    fn new(state: &'a State, event: EventId, actor: ActorId, at: Timestamp) -> Self {
        Plan {
            state,
            event,
            actor,
            at,
            postings: Vec::new(),
            lot_delta: BTreeMap::new(),
            item_loc: BTreeMap::new(),
            touched: BTreeSet::new(),
            parents: BTreeMap::new(),
            created_items: Vec::new(),
            created_lots: Vec::new(),
            statuses: Vec::new(),
            open_transfer: None,
            close_transfer: None,
            open_authorisation: None,
            consume_authorisation: None,
            actor_ops: Vec::new(),
            site: None,
            rules: None,
            correction: None,
            correctable: false,
            focus_site: None,
        }
    }

    fn unknown(&self, field: impl Into<String>, value: impl ToString) -> LedgerError {
        LedgerError::Unknown {
            event: self.event,
            field: field.into(),
            value: value.to_string(),
        }
    }

    fn invalid(&self, field: impl Into<String>, reason: impl Into<String>) -> LedgerError {
        LedgerError::Invalid {
            event: self.event,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Events on a stock may not go back in time: a receipt cannot precede its dispatch, a
    /// destruction cannot be dated before the stock arrived.
    fn not_before(&self, stock: Stock, last_at: &Timestamp) -> Result<(), LedgerError> {
        if &self.at < last_at {
            return Err(self.invalid(
                "/at",
                format!(
                    "`{}` is before `{last_at}`, when `{stock}` was last touched",
                    self.at
                ),
            ));
        }
        Ok(())
    }

    fn require_parent(&mut self, id: EventId, of: impl Into<String>) {
        self.parents.entry(id).or_insert_with(|| of.into());
    }

    fn require_role(
        &self,
        actor: &ActorId,
        role: Role,
        kind: &'static str,
    ) -> Result<(), LedgerError> {
        match self.state.actors.get(actor) {
            Some(a) if a.has_role(role) => Ok(()),
            _ => Err(LedgerError::MissingRole {
                event: self.event,
                actor: actor.clone(),
                role,
                kind,
            }),
        }
    }

    fn site(&self, field: &str, id: &SiteId) -> Result<&'a SiteState, LedgerError> {
        self.state
            .sites
            .get(id)
            .ok_or_else(|| self.unknown(field, id))
    }

    /// The custodian must be registered with the custodian role, and the recording actor must act for it.
    fn custodian(&self, field: &str, custodian: &ActorId) -> Result<(), LedgerError> {
        let state = self
            .state
            .actors
            .get(custodian)
            .ok_or_else(|| self.unknown(field, custodian))?;
        if !state.has_role(Role::Custodian) {
            return Err(LedgerError::MissingRole {
                event: self.event,
                actor: custodian.clone(),
                role: Role::Custodian,
                kind: "holding stock",
            });
        }
        if !self.state.acts_for(&self.actor, custodian) {
            return Err(LedgerError::NotCustodian {
                event: self.event,
                field: field.into(),
                actor: self.actor.clone(),
                custodian: custodian.clone(),
            });
        }
        Ok(())
    }

    fn addressee(&self, field: &str, custodian: &ActorId) -> Result<(), LedgerError> {
        let state = self
            .state
            .actors
            .get(custodian)
            .ok_or_else(|| self.unknown(field, custodian))?;
        if state.has_role(Role::Custodian) {
            Ok(())
        } else {
            Err(LedgerError::MissingRole {
                event: self.event,
                actor: custodian.clone(),
                role: Role::Custodian,
                kind: "holding stock",
            })
        }
    }

    /// Marks an existing stock as touched: refused if destroyed or if the event is dated
    /// before its latest event, which becomes a required parent.
    fn touch(
        &mut self,
        field: &str,
        stock: Stock,
        destroyed: bool,
        last_event: EventId,
        last_at: &Timestamp,
    ) -> Result<(), LedgerError> {
        if destroyed {
            return Err(LedgerError::AfterDestruction {
                event: self.event,
                field: field.into(),
                stock,
            });
        }
        if !self.touched.contains(&stock) {
            self.not_before(stock.clone(), last_at)?;
            self.require_parent(last_event, stock.to_string());
            self.touched.insert(stock);
        }
        Ok(())
    }

    /// An existing item, not destroyed; it becomes touched and its latest event a parent.
    fn item(&mut self, field: &str, id: &ItemId) -> Result<&'a ItemState, LedgerError> {
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
    fn lot(&mut self, field: &str, id: &LotId) -> Result<&'a LotState, LedgerError> {
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

    fn move_item(
        &mut self,
        field: &str,
        id: &ItemId,
        from: &Account,
        to: Account,
    ) -> Result<(), LedgerError> {
        let item = self.item(field, id)?;
        let current = self.item_loc.get(id).unwrap_or(&item.location);
        if current != from {
            return Err(LedgerError::Insufficient {
                event: self.event,
                field: field.into(),
                stock: Stock::Item(id.clone()),
                account: from.clone(),
                available: 0,
                requested: 1,
            });
        }
        self.item_loc.insert(id.clone(), to.clone());
        self.postings.push(Posting {
            stock: Stock::Item(id.clone()),
            from: from.clone(),
            to,
            quantity: 1,
        });
        Ok(())
    }

    fn lot_balance(&self, id: &LotId, account: &Account) -> i128 {
        let base = self.state.lots.get(id).map_or(0, |l| l.balance(account));
        base + self
            .lot_delta
            .get(&(id.clone(), account.clone()))
            .copied()
            .unwrap_or(0)
    }

    fn move_lot(
        &mut self,
        field: &str,
        id: &LotId,
        from: &Account,
        to: Account,
        quantity: u64,
    ) -> Result<(), LedgerError> {
        if quantity == 0 {
            return Err(LedgerError::ZeroQuantity {
                event: self.event,
                field: field.into(),
            });
        }
        let created = self.created_lots.iter().any(|l| &l.lot.id == id);
        if !created {
            self.lot(field, id)?;
        }
        let available = self.lot_balance(id, from);
        let q = i128::from(quantity);
        if !from.may_go_negative() && available < q {
            return Err(LedgerError::Insufficient {
                event: self.event,
                field: field.into(),
                stock: Stock::Lot(id.clone()),
                account: from.clone(),
                available,
                requested: quantity,
            });
        }
        *self
            .lot_delta
            .entry((id.clone(), from.clone()))
            .or_insert(0) -= q;
        *self.lot_delta.entry((id.clone(), to.clone())).or_insert(0) += q;
        self.postings.push(Posting {
            stock: Stock::Lot(id.clone()),
            from: from.clone(),
            to,
            quantity,
        });
        Ok(())
    }

    fn distinct_items(&self, base: &str, items: &[ItemId]) -> Result<(), LedgerError> {
        let mut seen = BTreeSet::new();
        for item in items {
            if !seen.insert(item) {
                return Err(LedgerError::Repeated {
                    event: self.event,
                    field: base.into(),
                    value: item.to_string(),
                });
            }
        }
        Ok(())
    }

    fn distinct_lots(&self, base: &str, lots: &[LotQuantity]) -> Result<(), LedgerError> {
        let mut seen = BTreeSet::new();
        for line in lots {
            if !seen.insert(&line.lot) {
                return Err(LedgerError::Repeated {
                    event: self.event,
                    field: base.into(),
                    value: line.lot.to_string(),
                });
            }
        }
        Ok(())
    }

    fn move_all(
        &mut self,
        items: &[ItemId],
        lots: &[LotQuantity],
        from: &Account,
        to: &Account,
    ) -> Result<(), LedgerError> {
        self.distinct_items("/items", items)?;
        self.distinct_lots("/lots", lots)?;
        for (i, id) in items.iter().enumerate() {
            self.move_item(&field("/items", i, ""), id, from, to.clone())?;
        }
        for (i, line) in lots.iter().enumerate() {
            self.move_lot(
                &field("/lots", i, "/quantity"),
                &line.lot,
                from,
                to.clone(),
                line.quantity.get(),
            )?;
        }
        Ok(())
    }

    fn nothing_moves(&self, items: &[ItemId], lots: &[LotQuantity]) -> Result<(), LedgerError> {
        if items.is_empty() && lots.is_empty() {
            Err(self.invalid("/items", "the event names no items and no lots"))
        } else {
            Ok(())
        }
    }

    fn new_lot_id(&self, field: &str, id: &LotId) -> Result<(), LedgerError> {
        if self.state.lots.contains_key(id) || self.created_lots.iter().any(|l| &l.lot.id == id) {
            return Err(LedgerError::AlreadyExists {
                event: self.event,
                field: field.into(),
                value: id.to_string(),
            });
        }
        Ok(())
    }
}

fn holding(place: &Place) -> Account {
    Account::Holding {
        site: place.site.clone(),
        custodian: place.custodian.clone(),
    }
}

fn held(site: &SiteId, custodian: &ActorId) -> Account {
    Account::Holding {
        site: site.clone(),
        custodian: custodian.clone(),
    }
}

impl State {
    /// The parents an event must carry: the latest events of everything it touches and the
    /// events it refers to. Writers call this before signing.
    pub fn required_parents(&self, event: &Event) -> Result<Vec<EventId>, LedgerError> {
        let id = event.id()?;
        if self.events == 0 {
            return Ok(Vec::new());
        }
        let plan = self.plan(event, id)?;
        Ok(plan.parents.keys().copied().collect())
    }

    fn check_signatures(
        &self,
        signed: &SignedEvent,
        check: SignatureCheck,
    ) -> Result<(), LedgerError> {
        let event = signed.id;
        if signed.signatures.is_empty() {
            return Err(LedgerError::Unsigned { event });
        }
        let genesis = self.events == 0;
        let mut seen = BTreeSet::new();
        let mut actor_signed = false;
        for sig in &signed.signatures {
            if !seen.insert(sig.key) {
                return Err(LedgerError::DuplicateSignature {
                    event,
                    key: sig.key,
                });
            }
            if check == SignatureCheck::Verify {
                sig.verify(&event)
                    .map_err(|source| LedgerError::BadSignature { event, source })?;
            }
            if genesis {
                let own = matches!(&signed.event.body, Body::RegisterActor { subject } if subject.keys.contains(&sig.key));
                if !own {
                    return Err(LedgerError::Genesis { event });
                }
                actor_signed = true;
                continue;
            }
            let owner = self
                .key_owner
                .get(&sig.key)
                .ok_or(LedgerError::UnknownKey {
                    event,
                    key: sig.key,
                })?;
            let active = self
                .actors
                .get(owner)
                .and_then(|a| a.keys.get(&sig.key))
                .copied()
                .unwrap_or(false);
            if !active {
                return Err(LedgerError::RevokedKey {
                    event,
                    key: sig.key,
                    actor: owner.clone(),
                });
            }
            if owner == &signed.event.actor {
                actor_signed = true;
            }
        }
        if actor_signed {
            Ok(())
        } else {
            Err(LedgerError::ActorDidNotSign {
                event,
                actor: signed.event.actor.clone(),
            })
        }
    }

    /// The actors who signed an event (after [`State::check_signatures`] passed).
    pub(crate) fn signers(&self, signed: &SignedEvent) -> Vec<ActorId> {
        let mut out: Vec<ActorId> = signed
            .signatures
            .iter()
            .filter_map(|s| self.key_owner.get(&s.key).cloned())
            .collect();
        if out.is_empty() {
            out.push(signed.event.actor.clone());
        }
        out.dedup();
        out
    }

    /// Applies one signed event: checks everything, consults the rules in force, then commits.
    /// On any error the state is unchanged.
    pub fn apply(
        &mut self,
        signed: &SignedEvent,
        check: SignatureCheck,
        rules: Option<&dyn RuleEngine>,
    ) -> Result<Applied, LedgerError> {
        let id = signed.id;
        if self.events == 0 {
            let ok = matches!(&signed.event.body, Body::RegisterActor { subject }
                if subject.id == signed.event.actor && subject.roles.contains(&Role::Admin) && subject.member_of.is_none())
                && signed.event.parents.is_empty();
            if !ok {
                return Err(LedgerError::Genesis { event: id });
            }
        }
        self.check_signatures(signed, check)?;
        let plan = self.plan(&signed.event, id)?;
        // Parents must be exactly the required set: nothing missing, nothing stray.
        let given: BTreeSet<EventId> = signed.event.parents.iter().copied().collect();
        for (expected, of) in &plan.parents {
            if !given.contains(expected) {
                return Err(LedgerError::MissingParent {
                    event: id,
                    expected: *expected,
                    of: of.clone(),
                });
            }
        }
        for parent in &signed.event.parents {
            if !plan.parents.contains_key(parent) {
                return Err(LedgerError::UnexpectedParent {
                    event: id,
                    parent: *parent,
                });
            }
        }
        let mut warnings = Vec::new();
        if !self.rules.is_empty() && !matches!(signed.event.body, Body::RulesInForce { .. }) {
            let rule_names = || {
                self.rules
                    .iter()
                    .map(|r| r.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let hook = rules.ok_or_else(|| LedgerError::RulesNotLoaded {
                event: id,
                rules: rule_names(),
            })?;
            let input = crate::ledger::context::rule_input(self, &plan, signed);
            warnings = hook
                .judge(&self.rules, &input)
                .map_err(|outcome| match outcome {
                    RuleOutcome::Denied {
                        rule,
                        code,
                        message,
                    } => LedgerError::RuleDenied {
                        event: id,
                        rule,
                        code,
                        message,
                    },
                    RuleOutcome::Failed {
                        rule,
                        failure,
                        detail,
                    } => LedgerError::RuleFailed {
                        event: id,
                        rule,
                        failure,
                        detail,
                    },
                })?;
        }
        let stocks: Vec<Stock> = plan.all_stocks().collect();
        let undo_actor = signed.event.actor.clone();
        let changes = plan.detach();
        let removed = self.commit(changes, undo_actor);
        #[cfg(debug_assertions)]
        if let Err(e) = self.check_invariants() {
            // A broken invariant is a bug in this crate; fail loudly in debug builds only.
            #[expect(clippy::panic, reason = "debug-only invariant check")]
            {
                panic!("{e}");
            }
        }
        Ok(Applied {
            id,
            stocks,
            removed,
            warnings,
        })
    }

    pub(crate) fn plan<'a>(&'a self, event: &Event, id: EventId) -> Result<Plan<'a>, LedgerError> {
        let mut p = Plan::new(self, id, event.actor.clone(), event.at.clone());
        let kind = event.body.kind();
        let actor_state = self.actors.get(&event.actor);
        if self.events > 0 && actor_state.is_none() {
            return Err(p.unknown("/actor", &event.actor));
        }
        match &event.body {
            Body::RegisterActor { subject } => {
                if self.events > 0 {
                    p.require_role(&event.actor, Role::Admin, kind)?;
                    if let Some(a) = actor_state {
                        p.require_parent(a.last_event, event.actor.to_string());
                    }
                }
                if self.actors.contains_key(&subject.id) {
                    return Err(LedgerError::AlreadyExists {
                        event: id,
                        field: "/subject/id".into(),
                        value: subject.id.to_string(),
                    });
                }
                if let Some(parent) = &subject.member_of {
                    let parent_state = self
                        .actors
                        .get(parent)
                        .ok_or_else(|| p.unknown("/subject/member_of", parent))?;
                    if parent_state.actor.kind == ActorKind::Person {
                        return Err(p.invalid(
                            "/subject/member_of",
                            format!("`{parent}` is a person; actors belong to units and agencies"),
                        ));
                    }
                }
                if subject.keys.is_empty() {
                    return Err(p.invalid("/subject/keys", "an actor needs at least one key"));
                }
                for (i, key) in subject.keys.iter().enumerate() {
                    if self.key_owner.contains_key(key) {
                        return Err(LedgerError::AlreadyExists {
                            event: id,
                            field: field("/subject/keys", i, ""),
                            value: key.to_string(),
                        });
                    }
                    if ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes()).is_err() {
                        return Err(p.invalid(
                            field("/subject/keys", i, ""),
                            format!("`{key}` is not a valid Ed25519 public key"),
                        ));
                    }
                }
                p.actor_ops.push(ActorOp::Register(subject.clone()));
            }
            Body::AddKey { subject, key } => {
                p.require_role(&event.actor, Role::Admin, kind)?;
                let s = self
                    .actors
                    .get(subject)
                    .ok_or_else(|| p.unknown("/subject", subject))?;
                if self.key_owner.contains_key(key) {
                    return Err(LedgerError::AlreadyExists {
                        event: id,
                        field: "/key".into(),
                        value: key.to_string(),
                    });
                }
                if ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes()).is_err() {
                    return Err(
                        p.invalid("/key", format!("`{key}` is not a valid Ed25519 public key"))
                    );
                }
                p.require_parent(s.last_event, subject.to_string());
                p.actor_ops.push(ActorOp::AddKey(subject.clone(), *key));
            }
            Body::RevokeKey { subject, key, .. } => {
                if subject != &event.actor {
                    p.require_role(&event.actor, Role::Admin, kind)?;
                }
                let s = self
                    .actors
                    .get(subject)
                    .ok_or_else(|| p.unknown("/subject", subject))?;
                match s.keys.get(key) {
                    None => {
                        return Err(
                            p.invalid("/key", format!("`{key}` is not a key of `{subject}`"))
                        );
                    }
                    Some(false) => {
                        return Err(p.invalid("/key", format!("`{key}` is already revoked")));
                    }
                    Some(true) => {}
                }
                p.require_parent(s.last_event, subject.to_string());
                p.actor_ops.push(ActorOp::RevokeKey(subject.clone(), *key));
            }
            Body::RegisterSite { site } => {
                p.require_role(&event.actor, Role::Admin, kind)?;
                if self.sites.contains_key(&site.id) {
                    return Err(LedgerError::AlreadyExists {
                        event: id,
                        field: "/site/id".into(),
                        value: site.id.to_string(),
                    });
                }
                match &site.parent {
                    Some(parent) => {
                        let parent_state = p.site("/site/parent", parent)?;
                        p.require_parent(parent_state.last_event, parent.to_string());
                    }
                    None => {
                        if let Some(a) = actor_state {
                            p.require_parent(a.last_event, event.actor.to_string());
                        }
                    }
                }
                p.site = Some(site.clone());
            }
            Body::RegisterItems {
                site,
                custodian,
                origin,
                items,
            } => {
                let s = p.site("/site", site)?;
                p.require_parent(s.last_event, site.to_string());
                p.custodian("/custodian", custodian)?;
                let to = held(site, custodian);
                let mut seen = BTreeSet::new();
                for (i, item) in items.iter().enumerate() {
                    if self.items.contains_key(&item.id) || !seen.insert(&item.id) {
                        return Err(LedgerError::AlreadyExists {
                            event: id,
                            field: field("/items", i, "/id"),
                            value: item.id.to_string(),
                        });
                    }
                    p.created_items.push(ItemState {
                        item: item.clone(),
                        origin: origin.clone(),
                        registered_at: event.at.clone(),
                        status: item.status.unwrap_or_default(),
                        location: to.clone(),
                        last_event: id,
                        last_at: event.at.clone(),
                    });
                    p.postings.push(Posting {
                        stock: Stock::Item(item.id.clone()),
                        from: Account::Source(Source::Origin(origin.kind)),
                        to: to.clone(),
                        quantity: 1,
                    });
                }
                p.focus_site = Some(site.clone());
                p.correctable = true;
            }
            Body::RegisterLot {
                site,
                custodian,
                origin,
                lot,
            } => {
                let s = p.site("/site", site)?;
                p.require_parent(s.last_event, site.to_string());
                p.custodian("/custodian", custodian)?;
                p.new_lot_id("/lot/id", &lot.id)?;
                if lot.quantity.get() == 0 {
                    return Err(LedgerError::ZeroQuantity {
                        event: id,
                        field: "/lot/quantity".into(),
                    });
                }
                p.created_lots
                    .push(new_lot(lot.clone(), origin.clone(), event, id, Vec::new()));
                p.move_lot(
                    "/lot/quantity",
                    &lot.id,
                    &Account::Source(Source::Origin(origin.kind)),
                    held(site, custodian),
                    lot.quantity.get(),
                )?;
                p.focus_site = Some(site.clone());
                p.correctable = true;
            }
            Body::TransferDispatch {
                from,
                to,
                items,
                lots,
                ..
            } => {
                p.site("/from/site", &from.site)?;
                p.site("/to/site", &to.site)?;
                p.custodian("/from/custodian", &from.custodian)?;
                p.addressee("/to/custodian", &to.custodian)?;
                if from == to {
                    return Err(p.invalid("/to", "a transfer must go to another custodian or site"));
                }
                p.nothing_moves(items, lots)?;
                p.move_all(items, lots, &holding(from), &Account::InTransit(id))?;
                p.open_transfer = Some(Transfer {
                    from: from.clone(),
                    to: to.clone(),
                    items: items.clone(),
                    lots: lots.clone(),
                    at: event.at.clone(),
                });
                p.correctable = true;
            }
            Body::TransferReceipt {
                dispatch,
                items,
                lots,
                ..
            } => {
                let transfer = self
                    .transfers
                    .get(dispatch)
                    .ok_or_else(|| p.unknown("/dispatch", dispatch))?;
                p.require_parent(*dispatch, format!("transfer {dispatch}"));
                if !self.acts_for(&event.actor, &transfer.to.custodian) {
                    return Err(LedgerError::NotCustodian {
                        event: id,
                        field: "/actor".into(),
                        actor: event.actor.clone(),
                        custodian: transfer.to.custodian.clone(),
                    });
                }
                p.distinct_items("/items", items)?;
                p.distinct_lots("/lots", lots)?;
                let transit = Account::InTransit(*dispatch);
                let discrepancy = Account::Discrepancy(id);
                let to = holding(&transfer.to);
                for (i, item) in items.iter().enumerate() {
                    if !transfer.items.contains(item) {
                        return Err(p.invalid(
                            field("/items", i, ""),
                            format!("`{item}` was not dispatched by `{dispatch}`"),
                        ));
                    }
                }
                for (i, line) in lots.iter().enumerate() {
                    if !transfer.lots.iter().any(|l| l.lot == line.lot) {
                        return Err(p.invalid(
                            field("/lots", i, "/lot"),
                            format!("`{}` was not dispatched by `{dispatch}`", line.lot),
                        ));
                    }
                }
                for (i, item) in transfer.items.iter().enumerate() {
                    let target = if items.contains(item) {
                        to.clone()
                    } else {
                        discrepancy.clone()
                    };
                    p.move_item(&field("/items", i, ""), item, &transit, target)?;
                }
                for sent in &transfer.lots {
                    let got = lots
                        .iter()
                        .find(|l| l.lot == sent.lot)
                        .map_or(0, |l| l.quantity.get());
                    let (sent_q, lot) = (sent.quantity.get(), &sent.lot);
                    let f = "/lots";
                    let arrived = got.min(sent_q);
                    if arrived > 0 {
                        p.move_lot(f, lot, &transit, to.clone(), arrived)?;
                    }
                    if sent_q > got {
                        p.move_lot(f, lot, &transit, discrepancy.clone(), sent_q - got)?;
                    }
                    if got > sent_q {
                        p.move_lot(f, lot, &discrepancy, to.clone(), got - sent_q)?;
                    }
                }
                p.close_transfer = Some(*dispatch);
                p.focus_site = Some(transfer.to.site.clone());
                p.correctable = true;
            }
            Body::LotSplit {
                lot,
                site,
                custodian,
                into,
            } => {
                p.site("/site", site)?;
                p.custodian("/custodian", custodian)?;
                let source = p.lot("/lot", lot)?;
                let mut total: u64 = 0;
                for (i, part) in into.iter().enumerate() {
                    p.new_lot_id(&field("/into", i, "/id"), &part.id)?;
                    if part.quantity.get() == 0 {
                        return Err(LedgerError::ZeroQuantity {
                            event: id,
                            field: field("/into", i, "/quantity"),
                        });
                    }
                    total = total.saturating_add(part.quantity.get());
                    let mut def = source.lot.clone();
                    def.id = part.id.clone();
                    def.quantity = part.quantity;
                    def.status = Some(source.status);
                    let mut state = new_lot(
                        def,
                        source.origin.clone(),
                        event,
                        id,
                        vec![(lot.clone(), part.quantity.get())],
                    );
                    state.status = source.status;
                    p.created_lots.push(state);
                }
                let at = held(site, custodian);
                p.move_lot("/into", lot, &at, Account::Sink(Sink::Rebatched), total)?;
                for part in into {
                    p.move_lot(
                        "/into",
                        &part.id,
                        &Account::Source(Source::Rebatched),
                        at.clone(),
                        part.quantity.get(),
                    )?;
                }
                p.correctable = true;
            }
            Body::LotMerge {
                site,
                custodian,
                lots,
                into,
            } => {
                p.site("/site", site)?;
                p.custodian("/custodian", custodian)?;
                p.distinct_lots("/lots", lots)?;
                p.new_lot_id("/into/id", &into.id)?;
                let at = held(site, custodian);
                let mut first: Option<&LotState> = None;
                let mut total: u64 = 0;
                for (i, line) in lots.iter().enumerate() {
                    let l = p.lot(&field("/lots", i, "/lot"), &line.lot)?;
                    if let Some(f) = first {
                        let same = f.lot.nomenclature == l.lot.nomenclature
                            && f.lot.unit == l.lot.unit
                            && f.lot.hazard == l.lot.hazard
                            && f.lot.neq_grams_per_unit == l.lot.neq_grams_per_unit
                            && f.status == l.status;
                        if !same {
                            return Err(p.invalid(field("/lots", i, "/lot"), format!("`{}` differs from `{}` in nomenclature, unit, hazard, explosive content or status", l.lot.id, f.lot.id)));
                        }
                    } else {
                        first = Some(l);
                    }
                    total = total.saturating_add(line.quantity.get());
                    p.move_lot(
                        &field("/lots", i, "/quantity"),
                        &line.lot,
                        &at,
                        Account::Sink(Sink::Rebatched),
                        line.quantity.get(),
                    )?;
                }
                let Some(first) = first else {
                    return Err(p.invalid("/lots", "nothing to merge"));
                };
                let mut def = first.lot.clone();
                def.id = into.id.clone();
                def.lot_number = into.lot_number.clone();
                def.quantity =
                    Quantity::new(total).map_err(|e| p.invalid("/lots", e.to_string()))?;
                def.status = Some(first.status);
                let derived = lots
                    .iter()
                    .map(|l| (l.lot.clone(), l.quantity.get()))
                    .collect();
                let mut state = new_lot(
                    def,
                    Origin {
                        kind: first.origin.kind,
                        reference: None,
                    },
                    event,
                    id,
                    derived,
                );
                state.status = first.status;
                p.created_lots.push(state);
                p.move_lot(
                    "/into",
                    &into.id,
                    &Account::Source(Source::Rebatched),
                    at,
                    total,
                )?;
                p.correctable = true;
            }
            Body::StockCheck {
                site,
                custodian,
                lots,
                items,
            } => {
                p.site("/site", site)?;
                let inspector = actor_state.is_some_and(|a| a.has_role(Role::Inspector));
                if !inspector {
                    p.custodian("/custodian", custodian)?;
                } else {
                    p.addressee("/custodian", custodian)?;
                }
                if lots.is_empty() && items.is_empty() {
                    return Err(
                        p.invalid("/lots", "a stock check must count at least one lot or item")
                    );
                }
                let at = held(site, custodian);
                let discrepancy = Account::Discrepancy(id);
                let mut seen = BTreeSet::new();
                for (i, line) in lots.iter().enumerate() {
                    if !seen.insert(&line.lot) {
                        return Err(LedgerError::Repeated {
                            event: id,
                            field: "/lots".into(),
                            value: line.lot.to_string(),
                        });
                    }
                    p.lot(&field("/lots", i, "/lot"), &line.lot)?;
                    let ledger = p.lot_balance(&line.lot, &at);
                    if i128::from(line.booked.get()) != ledger {
                        return Err(LedgerError::BookedMismatch {
                            event: id,
                            field: field("/lots", i, "/booked"),
                            booked: line.booked.get(),
                            ledger,
                        });
                    }
                    let (b, c) = (line.booked.get(), line.counted.get());
                    if c < b {
                        p.move_lot(
                            &field("/lots", i, "/counted"),
                            &line.lot,
                            &at,
                            discrepancy.clone(),
                            b - c,
                        )?;
                    } else if c > b {
                        p.move_lot(
                            &field("/lots", i, "/counted"),
                            &line.lot,
                            &discrepancy,
                            at.clone(),
                            c - b,
                        )?;
                    }
                }
                let ids: Vec<ItemId> = items.iter().map(|c| c.item.clone()).collect();
                p.distinct_items("/items", &ids)?;
                for (i, line) in items.iter().enumerate() {
                    let f = field("/items", i, "/item");
                    let item = p.item(&f, &line.item)?;
                    if item.location != at {
                        return Err(p.invalid(
                            f,
                            format!(
                                "`{}` is booked at `{}`, not at `{at}`",
                                line.item, item.location
                            ),
                        ));
                    }
                    if !line.present {
                        p.move_item(&f, &line.item, &at, discrepancy.clone())?;
                    }
                }
                p.correctable = true;
            }
            Body::StatusChange {
                items,
                lots,
                status,
                ..
            } => {
                if items.is_empty() && lots.is_empty() {
                    return Err(p.invalid("/items", "the event names no items and no lots"));
                }
                p.distinct_items("/items", items)?;
                let privileged = actor_state
                    .is_some_and(|a| a.has_role(Role::Inspector) || a.has_role(Role::Authoriser));
                for (i, id_) in items.iter().enumerate() {
                    let f = field("/items", i, "");
                    let item = p.item(&f, id_)?;
                    if let Account::Holding { custodian, .. } = &item.location
                        && !privileged
                        && !self.acts_for(&event.actor, custodian)
                    {
                        return Err(LedgerError::NotCustodian {
                            event: id,
                            field: f,
                            actor: event.actor.clone(),
                            custodian: custodian.clone(),
                        });
                    }
                    p.statuses.push((Stock::Item(id_.clone()), *status));
                }
                let mut seen = BTreeSet::new();
                for (i, lot) in lots.iter().enumerate() {
                    if !seen.insert(lot) {
                        return Err(LedgerError::Repeated {
                            event: id,
                            field: "/lots".into(),
                            value: lot.to_string(),
                        });
                    }
                    let f = field("/lots", i, "");
                    let l = p.lot(&f, lot)?;
                    let holder = l.balances.keys().any(|a| matches!(a, Account::Holding { custodian, .. } if self.acts_for(&event.actor, custodian)));
                    if !privileged && !holder {
                        return Err(p.invalid(f, format!("`{}` holds none of `{lot}` and is neither inspector nor authoriser", event.actor)));
                    }
                    p.statuses.push((Stock::Lot(lot.clone()), *status));
                }
                p.correctable = true;
            }
            Body::DestructionAuthorisation {
                reference,
                items,
                lots,
                methods,
            } => {
                p.require_role(&event.actor, Role::Authoriser, kind)?;
                p.nothing_moves(items, lots)?;
                p.distinct_items("/items", items)?;
                p.distinct_lots("/lots", lots)?;
                for (i, item) in items.iter().enumerate() {
                    p.item(&field("/items", i, ""), item)?;
                }
                for (i, line) in lots.iter().enumerate() {
                    let f = field("/lots", i, "/quantity");
                    let l = p.lot(&field("/lots", i, "/lot"), &line.lot)?;
                    if line.quantity.get() == 0 {
                        return Err(LedgerError::ZeroQuantity {
                            event: id,
                            field: f,
                        });
                    }
                    if i128::from(line.quantity.get()) > l.live_units() {
                        return Err(p.invalid(
                            f,
                            format!(
                                "authorises {} of `{}`, which has {} units left",
                                line.quantity.get(),
                                line.lot,
                                l.live_units()
                            ),
                        ));
                    }
                }
                p.open_authorisation = Some(Authorisation {
                    reference: reference.clone(),
                    actor: event.actor.clone(),
                    at: event.at.clone(),
                    items: items.iter().cloned().collect(),
                    lots: lots
                        .iter()
                        .map(|l| (l.lot.clone(), l.quantity.get()))
                        .collect(),
                    methods: methods.clone(),
                });
                p.correctable = true;
            }
            Body::Destruction {
                authorisation,
                site,
                custodian,
                method,
                items,
                lots,
                witnesses,
                ..
            } => {
                p.require_role(&event.actor, Role::Destroyer, kind)?;
                p.site("/site", site)?;
                p.custodian("/custodian", custodian)?;
                let auth = self
                    .authorisations
                    .get(authorisation)
                    .ok_or_else(|| p.unknown("/authorisation", authorisation))?;
                p.require_parent(*authorisation, format!("authorisation {authorisation}"));
                if !auth.methods.contains(method) {
                    return Err(LedgerError::NotAuthorised {
                        event: id,
                        field: "/method".into(),
                        what: method.clone(),
                        authorisation: *authorisation,
                    });
                }
                p.nothing_moves(items, lots)?;
                for (i, item) in items.iter().enumerate() {
                    if !auth.items.contains(item) {
                        return Err(LedgerError::NotAuthorised {
                            event: id,
                            field: field("/items", i, ""),
                            what: item.to_string(),
                            authorisation: *authorisation,
                        });
                    }
                }
                for (i, line) in lots.iter().enumerate() {
                    let left = auth.lots.get(&line.lot).copied().unwrap_or(0);
                    if line.quantity.get() > left {
                        return Err(LedgerError::NotAuthorised {
                            event: id,
                            field: field("/lots", i, "/quantity"),
                            what: format!(
                                "{} of `{}` ({left} left)",
                                line.quantity.get(),
                                line.lot
                            ),
                            authorisation: *authorisation,
                        });
                    }
                }
                for (i, w) in witnesses.iter().enumerate() {
                    if !self.actors.contains_key(&w.actor) {
                        return Err(p.unknown(field("/witnesses", i, "/actor"), &w.actor));
                    }
                    match self.actors.get(&w.agency) {
                        None => return Err(p.unknown(field("/witnesses", i, "/agency"), &w.agency)),
                        Some(a) if a.actor.kind != ActorKind::Agency => {
                            return Err(p.invalid(
                                field("/witnesses", i, "/agency"),
                                format!("`{}` is not an agency", w.agency),
                            ));
                        }
                        Some(_) => {}
                    }
                }
                p.move_all(
                    items,
                    lots,
                    &held(site, custodian),
                    &Account::Sink(Sink::Destroyed),
                )?;
                p.consume_authorisation = Some((
                    *authorisation,
                    items.clone(),
                    lots.iter()
                        .map(|l| (l.lot.clone(), l.quantity.get()))
                        .collect(),
                ));
                p.focus_site = Some(site.clone());
            }
            Body::LossReport {
                loss,
                site,
                custodian,
                discrepancy,
                items,
                lots,
                ..
            } => {
                p.site("/site", site)?;
                p.custodian("/custodian", custodian)?;
                p.nothing_moves(items, lots)?;
                let from = match discrepancy {
                    Some(d) => {
                        if !self.by_account.contains_key(&Account::Discrepancy(*d)) {
                            return Err(p.unknown("/discrepancy", d));
                        }
                        p.require_parent(*d, format!("discrepancy {d}"));
                        Account::Discrepancy(*d)
                    }
                    None => held(site, custodian),
                };
                if discrepancy.is_some() {
                    // A discrepancy account may be negative (units found); a loss may only take units that are missing.
                    for (i, line) in lots.iter().enumerate() {
                        let have = p.lot_balance(&line.lot, &from);
                        if have < i128::from(line.quantity.get()) {
                            return Err(LedgerError::Insufficient {
                                event: id,
                                field: field("/lots", i, "/quantity"),
                                stock: Stock::Lot(line.lot.clone()),
                                account: from.clone(),
                                available: have,
                                requested: line.quantity.get(),
                            });
                        }
                    }
                }
                p.move_all(items, lots, &from, &Account::Sink(Sink::from(*loss)))?;
                p.focus_site = Some(site.clone());
                p.correctable = true;
            }
            Body::Recovery {
                loss,
                site,
                custodian,
                items,
                lots,
                ..
            } => {
                p.site("/site", site)?;
                p.custodian("/custodian", custodian)?;
                p.nothing_moves(items, lots)?;
                p.move_all(
                    items,
                    lots,
                    &Account::Sink(Sink::from(*loss)),
                    &held(site, custodian),
                )?;
                p.focus_site = Some(site.clone());
                p.correctable = true;
            }
            Body::Correction { reverses, .. } => {
                let undo = self.undo.get(reverses).ok_or(LedgerError::NotCorrectable {
                    event: id,
                    target: *reverses,
                    reason: "it is unknown, of a kind that cannot be reversed, already reversed, or no longer the latest event of everything it touched",
                })?;
                if undo.actor != event.actor
                    && !actor_state.is_some_and(|a| a.has_role(Role::Admin))
                {
                    return Err(LedgerError::MissingRole {
                        event: id,
                        actor: event.actor.clone(),
                        role: Role::Admin,
                        kind,
                    });
                }
                p.require_parent(*reverses, format!("reversed event {reverses}"));
                for stock in &undo.stocks {
                    if !undo.created.contains(stock) {
                        p.touched.insert(stock.clone());
                    }
                }
                // Reverse postings, newest first. Balances were checked when the original was
                // applied and nothing has touched these stocks since, so they cannot go negative.
                for posting in undo.postings.iter().rev() {
                    if undo.created.contains(&posting.stock) {
                        continue;
                    }
                    match &posting.stock {
                        Stock::Lot(lot) => p.move_lot(
                            "/reverses",
                            lot,
                            &posting.to,
                            posting.from.clone(),
                            posting.quantity,
                        )?,
                        Stock::Item(item) => {
                            p.item_loc.insert(item.clone(), posting.from.clone());
                            p.postings.push(Posting {
                                stock: posting.stock.clone(),
                                from: posting.to.clone(),
                                to: posting.from.clone(),
                                quantity: 1,
                            });
                        }
                    }
                }
                p.correction = Some(*reverses);
            }
            Body::RulesInForce { rules } => {
                p.require_role(&event.actor, Role::Admin, kind)?;
                match (self.rules_event, actor_state) {
                    (Some(prev), _) => p.require_parent(prev, "rules in force"),
                    (None, Some(a)) => p.require_parent(a.last_event, event.actor.to_string()),
                    (None, None) => {}
                }
                p.rules = Some(rules.clone());
            }
        }
        Ok(p)
    }

    /// Commits a plan; returns the stocks it un-registered (a correction of a registration,
    /// split or merge).
    fn commit(&mut self, plan: Changes, actor: ActorId) -> Vec<Stock> {
        let id = plan.event;
        let Changes {
            postings,
            touched,
            created_items,
            created_lots,
            statuses,
            open_transfer,
            close_transfer,
            open_authorisation,
            consume_authorisation,
            actor_ops,
            site,
            rules,
            correction,
            correctable,
            at,
            ..
        } = plan;

        // Stocks whose previous latest event is superseded: that event can no longer be reversed.
        for stock in &touched {
            let prev = match stock {
                Stock::Item(i) => self.items.get(i).map(|s| s.last_event),
                Stock::Lot(l) => self.lots.get(l).map(|s| s.last_event),
            };
            if let Some(prev) = prev
                && Some(prev) != correction
            {
                self.undo.remove(&prev);
            }
        }

        let mut undo = Undo {
            actor,
            stocks: touched.iter().cloned().collect(),
            // Only a reversible event needs its postings kept.
            postings: if correctable {
                postings.clone()
            } else {
                Vec::new()
            },
            created: Vec::new(),
            statuses: Vec::new(),
            opened_transfer: None,
            closed_transfer: None,
            opened_authorisation: None,
        };

        for item in created_items {
            undo.created.push(Stock::Item(item.item.id.clone()));
            undo.stocks.push(Stock::Item(item.item.id.clone()));
            // Registration postings below move it from its source; start it there.
            let mut item = item;
            item.location = Account::Source(Source::Origin(item.origin.kind));
            self.items.insert(item.item.id.clone(), item);
        }
        for lot in created_lots {
            undo.created.push(Stock::Lot(lot.lot.id.clone()));
            undo.stocks.push(Stock::Lot(lot.lot.id.clone()));
            for (parent, _) in &lot.derived_from {
                self.lot_children
                    .entry(parent.clone())
                    .or_default()
                    .insert(lot.lot.id.clone());
            }
            self.lots.insert(lot.lot.id.clone(), lot);
        }
        for posting in &postings {
            self.apply_posting(posting);
        }
        for (stock, status) in statuses {
            let old = match &stock {
                Stock::Item(i) => self
                    .items
                    .get_mut(i)
                    .map(|s| std::mem::replace(&mut s.status, status)),
                Stock::Lot(l) => self
                    .lots
                    .get_mut(l)
                    .map(|s| std::mem::replace(&mut s.status, status)),
            };
            if let Some(old) = old {
                undo.statuses.push((stock, old));
            }
        }
        if let Some(transfer) = open_transfer {
            self.transfers.insert(id, transfer);
            undo.opened_transfer = Some(id);
        }
        if let Some(dispatch) = close_transfer
            && let Some(t) = self.transfers.remove(&dispatch)
        {
            undo.closed_transfer = Some((dispatch, t));
        }
        if let Some(auth) = open_authorisation {
            self.authorisations.insert(id, auth);
            undo.opened_authorisation = Some(id);
        }
        if let Some((auth_id, items, lots)) = consume_authorisation
            && let Some(auth) = self.authorisations.get_mut(&auth_id)
        {
            for item in &items {
                auth.items.remove(item);
            }
            for (lot, q) in lots {
                if let Some(left) = auth.lots.get_mut(&lot) {
                    *left = left.saturating_sub(q);
                    if *left == 0 {
                        auth.lots.remove(&lot);
                    }
                }
            }
            if auth.items.is_empty() && auth.lots.is_empty() {
                self.authorisations.remove(&auth_id);
            }
        }
        for op in actor_ops {
            match op {
                ActorOp::Register(actor) => {
                    for key in &actor.keys {
                        self.key_owner.insert(*key, actor.id.clone());
                    }
                    let keys = actor.keys.iter().map(|k| (*k, true)).collect();
                    self.actors.insert(
                        actor.id.clone(),
                        ActorState {
                            actor,
                            keys,
                            last_event: id,
                        },
                    );
                }
                ActorOp::AddKey(subject, key) => {
                    self.key_owner.insert(key, subject.clone());
                    if let Some(a) = self.actors.get_mut(&subject) {
                        a.keys.insert(key, true);
                        a.last_event = id;
                    }
                }
                ActorOp::RevokeKey(subject, key) => {
                    if let Some(a) = self.actors.get_mut(&subject) {
                        a.keys.insert(key, false);
                        a.last_event = id;
                    }
                }
            }
        }
        if let Some(site) = site {
            self.sites.insert(
                site.id.clone(),
                SiteState {
                    site,
                    last_event: id,
                },
            );
        }
        if let Some(rules) = rules {
            self.rules = rules;
            self.rules_event = Some(id);
        }
        let mut removed = Vec::new();
        if let Some(target) = correction
            && let Some(original) = self.undo.remove(&target)
        {
            self.revert(&original);
            removed = original.created.clone();
        }
        for stock in &touched {
            match stock {
                Stock::Item(i) => {
                    if let Some(s) = self.items.get_mut(i) {
                        s.last_event = id;
                        s.last_at = at.clone();
                    }
                }
                Stock::Lot(l) => {
                    if let Some(s) = self.lots.get_mut(l) {
                        s.last_event = id;
                        s.last_at = at.clone();
                    }
                }
            }
        }
        if correctable {
            self.undo.insert(id, undo);
        }
        self.events += 1;
        removed
    }

    /// Undoes the non-balance effects of a reversed event (its postings were reversed by the
    /// correction's own postings).
    fn revert(&mut self, original: &Undo) {
        for stock in &original.created {
            match stock {
                Stock::Item(i) => {
                    if let Some(item) = self.items.remove(i) {
                        crate::ledger::state::adjust_index(
                            &mut self.by_account,
                            &item.location,
                            stock,
                            -1,
                        );
                        crate::ledger::state::adjust_index(
                            &mut self.by_account,
                            &Account::Source(Source::Origin(item.origin.kind)),
                            stock,
                            1,
                        );
                    }
                }
                Stock::Lot(l) => {
                    if let Some(lot) = self.lots.remove(l) {
                        for (account, balance) in &lot.balances {
                            crate::ledger::state::adjust_index(
                                &mut self.by_account,
                                account,
                                stock,
                                -balance,
                            );
                        }
                        for (parent, _) in &lot.derived_from {
                            if let Some(children) = self.lot_children.get_mut(parent) {
                                children.remove(l);
                                if children.is_empty() {
                                    self.lot_children.remove(parent);
                                }
                            }
                        }
                    }
                }
            }
        }
        for (stock, old) in &original.statuses {
            match stock {
                Stock::Item(i) => {
                    if let Some(s) = self.items.get_mut(i) {
                        s.status = *old;
                    }
                }
                Stock::Lot(l) => {
                    if let Some(s) = self.lots.get_mut(l) {
                        s.status = *old;
                    }
                }
            }
        }
        if let Some(t) = original.opened_transfer {
            self.transfers.remove(&t);
        }
        if let Some((dispatch, t)) = &original.closed_transfer {
            self.transfers.insert(*dispatch, t.clone());
        }
        if let Some(a) = original.opened_authorisation {
            self.authorisations.remove(&a);
        }
    }
}

fn new_lot(
    lot: Lot,
    origin: Origin,
    event: &Event,
    id: EventId,
    derived_from: Vec<(LotId, u64)>,
) -> LotState {
    LotState {
        status: lot.status.unwrap_or_default(),
        lot,
        origin,
        registered_at: event.at.clone(),
        balances: BTreeMap::new(),
        derived_from,
        last_event: id,
        last_at: event.at.clone(),
    }
}
