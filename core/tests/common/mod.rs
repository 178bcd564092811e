//! Shared test support for the ledger's integration tests: a registry of actors and their
//! signing keys, a clock that never goes backwards, builders for every event body, and a
//! reference history that uses every event kind. Everything goes through the front door
//! (`custodia::Ledger`), the same way a binding or the command line does.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;

use custodia::event::{
    AddKey, Correction, Destruction, DestructionAuthorisation, ExportDelivery, ExportDispatch,
    ItemCount, LossKind, LossReport, LotCount, LotMerge, LotQuantity, LotSplit, MarkItems,
    MergeTarget, Place, Recovery, RegisterActor, RegisterItems, RegisterLot, RegisterSite,
    RevokeKey, RuleRef, RulesInForce, SplitPart, StatusChange, StockCheck, TransferDispatch,
    TransferReceipt, Witness,
};
use custodia::model::{
    Actor, ActorKind, CompatibilityGroup, Condition, Consignee, Date, DeliveryVerification,
    DestructionMethod, Disposition, EndUserCertificate, Hazard, HazardDivision, Item, ItemCategory,
    Licence, LicenceKind, Lot, Mark, MarkKind, Marking, Origin, OriginKind, Quantity, Role, Site,
    SiteKind, Status, TransferBasis, Unit,
};
use custodia::{
    ActorId, Body, Event, EventId, ItemId, Ledger, LotId, Options, SignedEvent, Signer, SiteId,
    Timestamp,
};
use sha2::Digest as _;

// ---- shorthands ----------------------------------------------------------------------------

pub fn actor(s: &str) -> ActorId {
    s.parse().unwrap()
}
pub fn site(s: &str) -> SiteId {
    s.parse().unwrap()
}
pub fn item(s: &str) -> ItemId {
    s.parse().unwrap()
}
pub fn lot(s: &str) -> LotId {
    s.parse().unwrap()
}
pub fn q(n: u64) -> Quantity {
    Quantity::new(n).unwrap()
}
pub fn lq(lot_id: &str, n: u64) -> LotQuantity {
    LotQuantity {
        lot: lot(lot_id),
        quantity: q(n),
    }
}
pub fn place(site_id: &str, custodian: &str) -> Place {
    Place {
        site: site(site_id),
        custodian: actor(custodian),
    }
}
/// The display name of a holding account, as `balances()` shows it.
pub fn holding(site_id: &str, custodian: &str) -> String {
    format!("{custodian}@{site_id}")
}
/// A timestamp from seconds since the Unix epoch.
pub fn ts(unix_seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(unix_seconds).unwrap()
}

// ---- the cast -----------------------------------------------------------------------------

pub const ADMIN: &str = "agency:mod";
pub const DEPOT_A: &str = "depot:a";
pub const DEPOT_B: &str = "depot:b";
pub const RANGE: &str = "range:r";
pub const MAGAZINE: &str = "magazine:a-1";
pub const UNIT_A: &str = "unit:a";
pub const UNIT_B: &str = "unit:b";
pub const DEMIL: &str = "unit:demil";
pub const CLERK_A: &str = "person:clerk-a";
pub const AG: &str = "agency:ag";
pub const POLICE: &str = "agency:police";
pub const WITNESS_1: &str = "person:w1";
pub const WITNESS_2: &str = "person:w2";
pub const INSPECTOR: &str = "person:inspector";

/// 2026-01-05T08:00:00Z, the first event of every test world.
pub const EPOCH: i64 = 1_767_600_000;
/// 2026-12-31T23:59:59Z: when the test authorisations lapse (within the year of the first
/// event, so that tampering tests that change a timestamp's year change it).
pub const AUTHORISATION_EXPIRES: i64 = 1_798_761_599;
/// Seconds between two events recorded with the clock.
pub const STEP: i64 = 60;

/// A test key derived from a name (never use such keys outside tests).
pub fn key_named(name: &str) -> Signer {
    let mut h = sha2::Sha256::new();
    h.update(b"custodia-test-key\0");
    h.update(name.as_bytes());
    Signer::from_seed(h.finalize().into())
}

/// The log key of every test ledger (fixed, so that tree heads compare across ledgers).
pub fn log_key() -> Signer {
    Signer::from_seed([3; 32])
}

/// A ledger, the signing keys of its actors, and a clock.
pub struct World {
    pub ledger: Ledger,
    keys: BTreeMap<String, Signer>,
    /// Seconds since the epoch of the latest `tick`.
    pub now: i64,
    /// Every event recorded through this world, in order.
    pub journal: Vec<SignedEvent>,
    /// The format version of the events `event` builds (the current one unless a test says).
    pub version: u32,
}

impl World {
    /// An empty in-memory ledger.
    pub fn empty() -> World {
        World::with_ledger(Ledger::in_memory(Options::new().log_key(log_key())).unwrap())
    }

    /// A given ledger (for example a file) with an empty key registry.
    pub fn with_ledger(ledger: Ledger) -> World {
        World {
            ledger,
            keys: BTreeMap::new(),
            now: EPOCH - STEP,
            journal: Vec::new(),
            version: custodia::event::FORMAT_VERSION,
        }
    }

    /// The standard world: actors, sites, two rifles and a 1000-round lot at depot A.
    pub fn new() -> World {
        let mut w = World::empty();
        w.populate();
        w
    }

    /// Records the standard world into this (empty) ledger.
    pub fn populate(&mut self) {
        self.genesis(ADMIN, &[Role::Admin, Role::Authoriser, Role::Inspector]);
        self.register(UNIT_A, ActorKind::Unit, Some(ADMIN), &[Role::Custodian]);
        self.register(UNIT_B, ActorKind::Unit, Some(ADMIN), &[Role::Custodian]);
        self.register(
            DEMIL,
            ActorKind::Unit,
            Some(ADMIN),
            &[Role::Custodian, Role::Destroyer],
        );
        self.register(CLERK_A, ActorKind::Person, Some(UNIT_A), &[]);
        self.register(AG, ActorKind::Agency, None, &[]);
        self.register(POLICE, ActorKind::Agency, None, &[]);
        self.register(WITNESS_1, ActorKind::Person, Some(AG), &[Role::Witness]);
        self.register(WITNESS_2, ActorKind::Person, Some(POLICE), &[Role::Witness]);
        self.register(
            INSPECTOR,
            ActorKind::Person,
            Some(AG),
            &[Role::Inspector, Role::Witness],
        );
        for (id, kind) in [
            (DEPOT_A, SiteKind::Depot),
            (DEPOT_B, SiteKind::Depot),
            (RANGE, SiteKind::Range),
        ] {
            self.record(ADMIN, register_site_body(id, kind, None));
        }
        self.record(
            UNIT_A,
            register_items_body(DEPOT_A, UNIT_A, &["item:r1", "item:r2"]),
        );
        self.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:l1", 1000));
    }

    // ---- keys and time ----------------------------------------------------------------------

    /// The signing key currently held for an actor.
    pub fn key(&self, who: &str) -> &Signer {
        self.keys
            .get(who)
            .unwrap_or_else(|| panic!("no key held for `{who}`"))
    }

    /// Holds another key for an actor (after `add_key`).
    pub fn hold_key(&mut self, who: &str, key: Signer) {
        self.keys.insert(who.to_owned(), key);
    }

    /// Advances the clock by one step and returns the new time.
    pub fn tick(&mut self) -> Timestamp {
        self.now += STEP;
        ts(self.now)
    }

    /// The time of the latest tick.
    pub fn time(&self) -> Timestamp {
        ts(self.now)
    }

    // ---- building and recording -------------------------------------------------------------

    /// An unsigned event by `who`, dated at the next tick, without parents.
    pub fn event(&mut self, who: &str, body: impl Into<Body>) -> Event {
        let at = self.tick();
        let mut event = Event::new(at, actor(who), Vec::new(), body.into());
        event.v = self.version;
        event
    }

    /// The keys of `who` and the co-signers, the recording actor's first.
    pub fn signers<'a>(&'a self, who: &str, cosigners: &[&str]) -> Vec<&'a Signer> {
        std::iter::once(who)
            .chain(cosigners.iter().copied())
            .map(|w| self.key(w))
            .collect()
    }

    /// Fills the parents and signs (the recording actor's key first), without appending.
    pub fn sign(&self, event: Event, cosigners: &[&str]) -> SignedEvent {
        let who = event.actor.to_string();
        let event = self.ledger.prepare(event).unwrap();
        event.sign(&self.signers(&who, cosigners)).unwrap()
    }

    /// Records an event through `Ledger::record`; panics when refused.
    pub fn record(&mut self, who: &str, body: impl Into<Body>) -> SignedEvent {
        self.record_with(who, body, &[])
    }

    /// As `record`, co-signed.
    pub fn record_with(
        &mut self,
        who: &str,
        body: impl Into<Body>,
        cosigners: &[&str],
    ) -> SignedEvent {
        let event = self.event(who, body);
        // The kind's name only: a Debug dump of the body cost more than the append itself for
        // registrations of 1,000 items (benches share this helper).
        let kind = custodia::event::EventBody::kind(&event.body);
        self.record_event(event, cosigners)
            .unwrap_or_else(|e| panic!("`{who}` could not record a `{kind}` event: {e}"))
    }

    /// Records a built event (its time is kept) through `Ledger::record`.
    pub fn record_event(
        &mut self,
        event: Event,
        cosigners: &[&str],
    ) -> custodia::Result<SignedEvent> {
        let who = event.actor.to_string();
        let keys = &self.keys;
        let refs: Vec<&Signer> = std::iter::once(who.as_str())
            .chain(cosigners.iter().copied())
            .map(|w| {
                keys.get(w)
                    .unwrap_or_else(|| panic!("no key held for `{w}`"))
            })
            .collect();
        let signed = self.ledger.record(event, &refs)?;
        self.journal.push(signed.clone());
        Ok(signed)
    }

    /// Records `body` by `who` and returns the refusal; panics when it is accepted.
    pub fn try_record(
        &mut self,
        who: &str,
        body: impl Into<Body>,
        cosigners: &[&str],
    ) -> custodia::Result<SignedEvent> {
        let event = self.event(who, body);
        self.record_event(event, cosigners)
    }

    /// Registers the first administrator, signed with its own key.
    pub fn genesis(&mut self, who: &str, roles: &[Role]) -> SignedEvent {
        let key = key_named(who);
        let subject = Actor {
            id: actor(who),
            kind: ActorKind::Agency,
            name: "Ministry of Defence".into(),
            member_of: None,
            roles: roles.to_vec(),
            keys: vec![key.public_key()],
        };
        self.keys.insert(who.to_owned(), key);
        self.record(who, RegisterActor { subject })
    }

    /// The administrator registers an actor with one key derived from its name.
    pub fn register(
        &mut self,
        who: &str,
        kind: ActorKind,
        member_of: Option<&str>,
        roles: &[Role],
    ) -> SignedEvent {
        let key = key_named(who);
        let subject = Actor {
            id: actor(who),
            kind,
            name: who.into(),
            member_of: member_of.map(actor),
            roles: roles.to_vec(),
            keys: vec![key.public_key()],
        };
        self.keys.insert(who.to_owned(), key);
        self.record(ADMIN, RegisterActor { subject })
    }

    // ---- reading ------------------------------------------------------------------------------

    /// Every non-zero balance as `(stock, account) -> units`.
    pub fn balances(&self) -> BTreeMap<(String, String), i64> {
        balances_of(&self.ledger)
    }

    /// The units of one stock in one account (0 when absent).
    pub fn balance(&self, stock: &str, account: &str) -> i64 {
        self.balances()
            .get(&(stock.to_owned(), account.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Everything a refused event must leave unchanged.
    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.ledger)
    }
}

/// Every non-zero balance of a ledger as `(stock, account) -> units`.
pub fn balances_of(ledger: &Ledger) -> BTreeMap<(String, String), i64> {
    let rows = ledger
        .balances(&custodia::BalanceFilter::default())
        .unwrap();
    let mut out = BTreeMap::new();
    for b in rows {
        assert_ne!(b.units, 0, "a zero balance is listed: {b:?}");
        let old = out.insert((b.stock.clone(), b.account.clone()), b.units);
        assert!(old.is_none(), "a balance is listed twice: {b:?}");
    }
    out
}

/// What the derived tables and the log say, for before/after comparisons.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub len: u64,
    pub state_digest: custodia::Digest,
    pub verified_events: u64,
    pub balances: Vec<custodia::Balance>,
    pub stock_on_hand: custodia::StockOnHand,
    pub summary: custodia::Summary,
}

pub fn snapshot(ledger: &Ledger) -> Snapshot {
    let v = ledger.verify().unwrap();
    assert!(v.ok, "the ledger does not verify: {:?}", v.failure);
    Snapshot {
        len: ledger.len().unwrap(),
        state_digest: v.state_digest,
        verified_events: v.events,
        balances: ledger
            .balances(&custodia::BalanceFilter::default())
            .unwrap(),
        stock_on_hand: ledger
            .stock_on_hand(&custodia::StockFilter::default())
            .unwrap(),
        summary: ledger.summary().unwrap(),
    }
}

/// Signs an event with the given keys exactly as built (parents untouched).
pub fn sign_as_is(event: &Event, keys: &[&Signer]) -> SignedEvent {
    event.clone().sign(keys).unwrap()
}

/// A signed event rebuilt from its JSON after `edit` (for signatures and ids no typed API
/// lets a caller forge).
pub fn edited(signed: &SignedEvent, edit: impl FnOnce(&mut serde_json::Value)) -> SignedEvent {
    let mut v: serde_json::Value = serde_json::from_str(signed.to_json()).unwrap();
    edit(&mut v);
    SignedEvent::from_json(serde_json::to_string(&v).unwrap().as_bytes()).unwrap()
}

// ---- bodies ----------------------------------------------------------------------------------

pub fn register_site_body(id: &str, kind: SiteKind, parent: Option<&str>) -> RegisterSite {
    RegisterSite {
        site: Site {
            id: site(id),
            name: id.into(),
            kind,
            parent: parent.map(site),
            country: Some("CO".into()),
            licensed_neq_grams: Some(q(1_000_000)),
            hazard_divisions: vec![HazardDivision::D1_4],
            two_person_rule: false,
        },
    }
}

pub fn rifle(id: &str) -> Item {
    Item {
        id: item(id),
        category: ItemCategory::Firearm,
        item_type: "rifle".into(),
        marking: Marking {
            manufacturer: Some("ACME".into()),
            country_of_manufacture: Some("CO".into()),
            serial: Some(id.to_uppercase()),
            year: Some(1999),
            model: Some("R-1".into()),
            calibre: Some("5.56x45mm".into()),
            import: None,
        },
        status: None,
        condition: None,
        disposition: None,
        att_category: None,
        hazard: None,
        neq_mg: None,
    }
}

pub fn register_items_body(site_id: &str, custodian: &str, ids: &[&str]) -> RegisterItems {
    RegisterItems {
        site: site(site_id),
        custodian: actor(custodian),
        origin: Origin {
            kind: OriginKind::Seized,
            reference: Some("CASE-1".into()),
            import: None,
        },
        items: ids.iter().map(|i| rifle(i)).collect(),
    }
}

/// The attributes of a lot of 5.56 mm ball cartridges (2 g of explosive per round).
pub fn lot_def(id: &str, quantity: u64) -> Lot {
    Lot {
        id: lot(id),
        nomenclature: "cartridge 5.56 ball".into(),
        lot_number: format!("LN-{id}"),
        unit: Unit::Round,
        quantity: q(quantity),
        hazard: Some(Hazard {
            division: HazardDivision::D1_4,
            group: CompatibilityGroup::S,
        }),
        neq_grams_per_unit: q(2),
        neq_mg: None,
        manufactured: Some(Date::parse("2001-03").unwrap()),
        next_inspection: Some(Date::parse("2027-03-01").unwrap()),
        expiry: None,
        status: None,
        condition: None,
        disposition: None,
        category: None,
    }
}

pub fn register_lot_body(site_id: &str, custodian: &str, id: &str, quantity: u64) -> RegisterLot {
    register_lot_def(site_id, custodian, lot_def(id, quantity))
}

pub fn register_lot_def(site_id: &str, custodian: &str, def: Lot) -> RegisterLot {
    RegisterLot {
        site: site(site_id),
        custodian: actor(custodian),
        origin: Origin {
            kind: OriginKind::StockOnHand,
            reference: None,
            import: None,
        },
        lot: def,
    }
}

pub fn dispatch(
    from: (&str, &str),
    to: (&str, &str),
    items: &[&str],
    lots: Vec<LotQuantity>,
) -> TransferDispatch {
    TransferDispatch {
        from: place(from.0, from.1),
        to: place(to.0, to.1),
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        reference: Some("WAYBILL-1".into()),
    }
}

pub fn receipt(dispatch: EventId, items: &[&str], lots: Vec<LotQuantity>) -> TransferReceipt {
    TransferReceipt {
        dispatch,
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        note: None,
    }
}

pub fn split(lot_id: &str, at: (&str, &str), into: &[(&str, u64)]) -> LotSplit {
    LotSplit {
        lot: lot(lot_id),
        site: site(at.0),
        custodian: actor(at.1),
        into: into
            .iter()
            .map(|(id, n)| SplitPart {
                id: lot(id),
                quantity: q(*n),
            })
            .collect(),
    }
}

pub fn merge(at: (&str, &str), lots: Vec<LotQuantity>, into: &str) -> LotMerge {
    LotMerge {
        site: site(at.0),
        custodian: actor(at.1),
        lots,
        into: MergeTarget {
            id: lot(into),
            lot_number: format!("M-{into}"),
        },
        mixed_lot_approval: None,
    }
}

pub fn stock_check(
    at: (&str, &str),
    lots: &[(&str, u64, u64)],
    items: &[(&str, bool)],
) -> StockCheck {
    StockCheck {
        site: site(at.0),
        custodian: actor(at.1),
        lots: lots
            .iter()
            .map(|(l, booked, counted)| LotCount {
                lot: lot(l),
                booked: q(*booked),
                counted: q(*counted),
            })
            .collect(),
        items: items
            .iter()
            .map(|(i, present)| ItemCount {
                item: item(i),
                present: *present,
                observed_serial: None,
            })
            .collect(),
        scope: None,
        blind: None,
        counters: Vec::new(),
    }
}

pub fn status_change(items: &[&str], lots: &[&str], status: Status) -> StatusChange {
    StatusChange {
        items: items.iter().map(|i| item(i)).collect(),
        lots: lots.iter().map(|l| lot(l)).collect(),
        status: Some(status),
        condition: None,
        disposition: None,
        reason: "periodic inspection".into(),
    }
}

/// A status change in format version 2's words: a new condition, a new disposition or both.
pub fn condition_change(
    items: &[&str],
    lots: &[&str],
    condition: Option<Condition>,
    disposition: Option<Disposition>,
) -> StatusChange {
    StatusChange {
        items: items.iter().map(|i| item(i)).collect(),
        lots: lots.iter().map(|l| lot(l)).collect(),
        status: None,
        condition,
        disposition,
        reason: "board of survey".into(),
    }
}

pub fn authorisation(items: &[&str], lots: Vec<LotQuantity>) -> DestructionAuthorisation {
    DestructionAuthorisation {
        reference: "ORDER-1".into(),
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        methods: vec!["cutting".into()],
        steps: vec![DestructionMethod::Cutting],
        site: None,
        expires_at: Some(ts(AUTHORISATION_EXPIRES)),
    }
}

pub fn witnesses() -> Vec<Witness> {
    vec![
        Witness {
            actor: actor(WITNESS_1),
            agency: actor(AG),
        },
        Witness {
            actor: actor(WITNESS_2),
            agency: actor(POLICE),
        },
    ]
}

pub fn destruction(
    authorisation: EventId,
    method: &str,
    items: &[&str],
    lots: Vec<LotQuantity>,
) -> Destruction {
    Destruction {
        authorisation,
        site: site(RANGE),
        custodian: actor(DEMIL),
        method: method.into(),
        steps: vec![method.parse().unwrap_or(DestructionMethod::Other)],
        certificate: "CERT-1".into(),
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        witnesses: witnesses(),
    }
}

pub fn loss(
    kind: LossKind,
    at: (&str, &str),
    discrepancy: Option<EventId>,
    items: &[&str],
    lots: Vec<LotQuantity>,
) -> LossReport {
    LossReport {
        loss: kind,
        site: site(at.0),
        custodian: actor(at.1),
        discrepancy,
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        reference: Some("POLICE-77".into()),
    }
}

pub fn recovery(
    kind: LossKind,
    at: (&str, &str),
    items: &[&str],
    lots: Vec<LotQuantity>,
) -> Recovery {
    Recovery {
        loss: kind,
        site: site(at.0),
        custodian: actor(at.1),
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        reference: None,
    }
}

pub fn correction(reverses: EventId) -> Correction {
    Correction {
        reverses,
        reason: "recorded in error".into(),
    }
}

pub fn add_key(subject: &str, key: &Signer) -> AddKey {
    AddKey {
        subject: actor(subject),
        key: key.public_key(),
    }
}

pub fn revoke_key(subject: &str, key: &Signer) -> RevokeKey {
    RevokeKey {
        subject: actor(subject),
        key: key.public_key(),
        reason: "token lost".into(),
    }
}

pub fn a_rule() -> RuleRef {
    RuleRef {
        name: "witnesses".into(),
        version: "1.0.0".into(),
        sha256: EventId::from_bytes([0x5a; 32]),
    }
}

pub fn rules_in_force(rules: Vec<RuleRef>) -> RulesInForce {
    RulesInForce { rules }
}

pub const A: (&str, &str) = (DEPOT_A, UNIT_A);
pub const B: (&str, &str) = (DEPOT_B, UNIT_B);
pub const R: (&str, &str) = (RANGE, DEMIL);

/// The standard world followed by a history that uses every event kind: a site inside another,
/// a second key and a revoked one, a transfer with a shortfall, a split, a stock check by an
/// inspector, a theft and a partial recovery, a loss taken from a receipt's discrepancy, a
/// corrected registration, a corrected split, a merge, a status change, a witnessed
/// destruction, and finally rules put in force.
pub fn history_world() -> World {
    let mut w = World::new();
    w.record(
        ADMIN,
        register_site_body(MAGAZINE, SiteKind::Magazine, Some(DEPOT_A)),
    );
    // Unit B gets a second key, then revokes its first one itself.
    let old = key_named(UNIT_B);
    let new = key_named("unit:b/2");
    w.record(ADMIN, add_key(UNIT_B, &new));
    w.hold_key(UNIT_B, Signer::from_seed(new.seed()));
    w.record(UNIT_B, revoke_key(UNIT_B, &old));
    let d = w.record(
        UNIT_A,
        dispatch(A, B, &["item:r1"], vec![lq("lot:l1", 300)]),
    );
    let r = w.record(
        UNIT_B,
        receipt(d.id(), &["item:r1"], vec![lq("lot:l1", 290)]),
    );
    w.record(UNIT_B, split("lot:l1", B, &[("lot:l1-a", 100)]));
    w.record(
        INSPECTOR,
        stock_check(A, &[("lot:l1", 700, 695)], &[("item:r2", true)]),
    );
    w.record(
        UNIT_B,
        loss(LossKind::Stolen, B, None, &[], vec![lq("lot:l1-a", 10)]),
    );
    w.record(
        UNIT_B,
        recovery(LossKind::Stolen, B, &[], vec![lq("lot:l1-a", 4)]),
    );
    w.record(
        UNIT_B,
        loss(LossKind::Lost, B, Some(r.id()), &[], vec![lq("lot:l1", 10)]),
    );
    // A second delivery of l1's manufacturing lot: merging it with l1 keeps lot integrity.
    let mut l2 = lot_def("lot:l2", 50);
    l2.lot_number = "LN-lot:l1".into();
    w.record(UNIT_A, register_lot_def(DEPOT_A, UNIT_A, l2));
    let typo = w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:typo", 5));
    w.record(UNIT_A, correction(typo.id()));
    let s = w.record(UNIT_A, split("lot:l2", A, &[("lot:l2-x", 10)]));
    w.record(ADMIN, correction(s.id()));
    w.record(
        UNIT_A,
        merge(A, vec![lq("lot:l1", 100), lq("lot:l2", 50)], "lot:m1"),
    );
    w.record(
        CLERK_A,
        status_change(&["item:r2"], &["lot:m1"], Status::PendingDestruction),
    );
    let d2 = w.record(
        UNIT_A,
        dispatch(A, R, &["item:r2"], vec![lq("lot:m1", 150)]),
    );
    w.record(
        DEMIL,
        receipt(d2.id(), &["item:r2"], vec![lq("lot:m1", 150)]),
    );
    let auth = w.record(ADMIN, authorisation(&["item:r2"], vec![lq("lot:m1", 150)]));
    w.record_with(
        DEMIL,
        destruction(auth.id(), "cutting", &["item:r2"], vec![lq("lot:m1", 150)]),
        &[WITNESS_1, WITNESS_2],
    );
    w
}

/// An export of `items` and `lots` from `from` (a site in `CO`) to Peru, under licences valid
/// through 2026.
pub fn export_body(from: (&str, &str), items: &[&str], lots: Vec<LotQuantity>) -> ExportDispatch {
    let licence = |kind, state: &str| Licence {
        kind,
        number: format!("{state}-LIC-1"),
        state: state.into(),
        issued: Date::parse("2025-12-01").unwrap(),
        expires: Date::parse("2026-12-31").unwrap(),
    };
    ExportDispatch {
        from: place(from.0, from.1),
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        exporting_state: "CO".into(),
        importing_state: "PE".into(),
        transit_states: Vec::new(),
        final_consignee: Consignee {
            name: "Ejército del Perú".into(),
            country: "PE".into(),
            address: None,
        },
        end_user_certificate: EndUserCertificate {
            reference: "EUC-PE-1".into(),
            issued_by: "Ministerio de Defensa del Perú".into(),
            end_use: None,
        },
        licences: vec![
            licence(LicenceKind::Export, "CO"),
            licence(LicenceKind::Import, "PE"),
        ],
        basis: TransferBasis::Donation,
        reference: None,
    }
}

/// Peru's verification of the delivery of `dispatch` (an `export_body`).
pub fn export_delivery_body(
    dispatch: EventId,
    items: &[&str],
    lots: Vec<LotQuantity>,
    on: &str,
) -> ExportDelivery {
    ExportDelivery {
        dispatch,
        items: items.iter().map(|i| item(i)).collect(),
        lots,
        verification: DeliveryVerification {
            reference: "DVC-PE-1".into(),
            issued_by: "Ministerio de Defensa del Perú".into(),
            state: "PE".into(),
            date: Date::parse(on).unwrap(),
        },
        note: None,
    }
}

/// `marked_by` applied a unique mark to each of `items`, held at `at`, on `on`.
pub fn marking_body(at: (&str, &str), marked_by: &str, items: &[&str], on: &str) -> MarkItems {
    MarkItems {
        site: site(at.0),
        custodian: actor(at.1),
        marked_by: actor(marked_by),
        marked_on: Date::parse(on).unwrap(),
        marks: items
            .iter()
            .map(|i| Mark {
                item: item(i),
                kind: MarkKind::Unique,
                elements: Marking {
                    serial: Some(format!("CO-MDN-{i}")),
                    ..Marking::default()
                },
                position: "left side of the receiver".into(),
                method: None,
            })
            .collect(),
        reference: None,
    }
}

/// `history_world`'s events, then the kinds of format version 2 (an export and its delivery, a
/// seized rifle registered without its serial, marked, held as evidence, forfeited and
/// deactivated, a tracing request about it answered, a training expenditure and its return, a
/// rifle issued to a person and returned, a lot suspended by an inspection, a shortfall written
/// off by a board of inquiry), ending with rules put in force.
pub fn history() -> Vec<SignedEvent> {
    let mut w = history_world();
    // Unit B exports the rifle it received and 50 rounds; Peru verifies the delivery.
    let x = w.record(UNIT_B, export_body(B, &["item:r1"], vec![lq("lot:l1", 50)]));
    let on = w.time().to_string();
    w.record(
        UNIT_B,
        export_delivery_body(x.id(), &["item:r1"], vec![lq("lot:l1", 50)], &on[..10]),
    );
    // A seized rifle without its serial number is registered, then marked.
    let mut seized = register_items_body(DEPOT_A, UNIT_A, &["item:s1"]);
    seized.items[0].marking.serial = None;
    w.record(UNIT_A, seized);
    let on = w.time().to_string();
    w.record(UNIT_A, marking_body(A, CLERK_A, &["item:s1"], &on[..10]));
    // It is held as evidence, then forfeited by a court.
    let s = w.record(UNIT_A, seizure_body(A, &["item:s1"], &[], &on[..10]));
    w.record(
        UNIT_A,
        judicial_order_body(
            s.id(),
            custodia::model::JudicialDecision::Forfeiture,
            &["item:s1"],
            &[],
            &on[..10],
        ),
    );
    // Forfeited, it is deactivated and kept (a reference collection).
    w.record(UNIT_A, deactivation_body(A, &["item:s1"], &on[..10]));
    // Colombia asks, through INTERPOL, about the rifle by the serial it was marked with; the
    // ministry identifies it.
    let r = w.record(
        ADMIN,
        trace_request_body("CO", "CO-2026-1", "CO-MDN-item:s1", &on[..10]),
    );
    w.record(
        ADMIN,
        custodia::event::TraceResponse {
            request: r.id(),
            answered_on: Date::parse(&on[..10]).unwrap(),
            outcome: custodia::model::TraceOutcome::Identified,
            items: vec![item("item:s1")],
            refusal: None,
            information: "seized, forfeited and deactivated".into(),
            reference: None,
        },
    );
    // Unit A fires 10 rounds of a new lot in training and returns 2 unfired and 8 cases.
    w.record(UNIT_A, register_lot_body(DEPOT_A, UNIT_A, "lot:t1", 100));
    let on = w.time().to_string();
    let fired = w.record(
        UNIT_A,
        custodia::event::Expenditure {
            from: place(DEPOT_A, UNIT_A),
            purpose: custodia::model::ExpenditurePurpose::Training,
            order: "TRG-1".into(),
            range: "range 1".into(),
            personnel: Some(4),
            lots: vec![lq("lot:t1", 10)],
            return_by: Some(Date::parse(&on[..10]).unwrap()),
            note: None,
        },
    );
    w.record(
        UNIT_A,
        custodia::event::ExpenditureReturn {
            expenditure: fired.id(),
            lots: vec![lq("lot:t1", 2)],
            residue: vec![custodia::model::Residue {
                lot: lot("lot:t1"),
                cases: Some(8),
                links: None,
            }],
            note: None,
        },
    );
    // The clerk of unit A draws a duty rifle for a shift and brings it back.
    w.record(UNIT_A, register_items_body(DEPOT_A, UNIT_A, &["item:d1"]));
    let due = ts(w.now + 8 * 3600);
    let issued = w.record(
        UNIT_A,
        custodia::event::WeaponIssue {
            from: place(DEPOT_A, UNIT_A),
            to: actor(CLERK_A),
            items: vec![item("item:d1")],
            due,
            reference: None,
        },
    );
    w.record(
        UNIT_A,
        custodia::event::WeaponReturn {
            issue: issued.id(),
            items: vec![item("item:d1")],
            note: None,
        },
    );
    // The technical authority inspects lot t1: a failed stability test suspends it.
    w.register(
        "person:ato",
        ActorKind::Person,
        Some(ADMIN),
        &[Role::TechnicalAuthority],
    );
    w.record(
        "person:ato",
        custodia::event::Inspection {
            lots: vec![lot("lot:t1")],
            reference: "SURV-1".into(),
            results: vec![custodia::model::InspectionResult {
                test: custodia::model::InspectionTest::ChemicalStability,
                outcome: custodia::model::InspectionOutcome::Fail,
                sample: Some(3),
                remarks: None,
            }],
            condition_code: custodia::model::ConditionCode::J,
            next_inspection: None,
            expiry: None,
            hazard: None,
            note: None,
        },
    );
    // A count finds 2 rounds of it missing; a board of inquiry writes them off.
    let counted = w.record(INSPECTOR, stock_check(A, &[("lot:t1", 92, 90)], &[]));
    w.record(
        ADMIN,
        custodia::event::BoardOfInquiry {
            discrepancy: counted.id(),
            reference: "BOI-1".into(),
            members: vec![actor(INSPECTOR)],
            findings: "not found".into(),
            to: None,
            lots: vec![custodia::event::BoardLot {
                lot: lot("lot:t1"),
                quantity: q(2),
                decision: custodia::event::BoardDecision::WrittenOff,
            }],
            items: vec![],
        },
    );
    w.record(ADMIN, rules_in_force(vec![a_rule()]));
    w.journal
}

/// A tracing request from `state` under `reference`, received on `on`, about one weapon by its
/// serial; the answer is due by the end of 2026.
pub fn trace_request_body(
    state: &str,
    reference: &str,
    serial: &str,
    on: &str,
) -> custodia::event::TraceRequest {
    let received = Date::parse(on).unwrap();
    let due = Date::parse("2026-12-31").unwrap();
    custodia::event::TraceRequest {
        requesting_state: state.into(),
        channel: custodia::model::TraceChannel::Interpol,
        reference: reference.into(),
        received_on: received,
        deadline: due,
        weapons: vec![Marking {
            serial: Some(serial.into()),
            ..Marking::default()
        }],
        context: None,
        note: None,
    }
}

/// The laboratory of the seizure tests (a forensic laboratory, format version 2).
pub const LAB: &str = "lab:ballistics";

/// `custodian` at `at` puts `items` and `lots` under an evidence hold for case `CASE-7`, seized
/// by the police on `on` and held for the attorney general's office.
pub fn seizure_body(
    at: (&str, &str),
    items: &[&str],
    lots: &[&str],
    on: &str,
) -> custodia::event::Seizure {
    custodia::event::Seizure {
        site: site(at.0),
        custodian: actor(at.1),
        items: items.iter().map(|i| item(i)).collect(),
        lots: lots.iter().map(|l| lot(l)).collect(),
        case: "CASE-7".into(),
        seized_by: actor(POLICE),
        seized_on: Date::parse(on).unwrap(),
        seized_at: "a checkpoint on the northern road".into(),
        held_for: actor(AG),
        reference: None,
    }
}

/// A judicial order deciding about `items` and `lots` of `seizure`.
pub fn judicial_order_body(
    seizure: EventId,
    decision: custodia::model::JudicialDecision,
    items: &[&str],
    lots: &[&str],
    on: &str,
) -> custodia::event::JudicialOrder {
    custodia::event::JudicialOrder {
        seizure,
        decision,
        court: "Juzgado 3".into(),
        order: "ORD-1".into(),
        ordered_on: Date::parse(on).unwrap(),
        items: items.iter().map(|i| item(i)).collect(),
        lots: lots.iter().map(|l| lot(l)).collect(),
        returned_to: (decision == custodia::model::JudicialDecision::ReturnToOwner)
            .then(|| "the lawful owner".to_owned()),
    }
}

/// `at`'s custodian deactivated `items`, verified by the inspector on `on`.
pub fn deactivation_body(
    at: (&str, &str),
    items: &[&str],
    on: &str,
) -> custodia::event::Deactivation {
    custodia::event::Deactivation {
        site: site(at.0),
        custodian: actor(at.1),
        items: items.iter().map(|i| item(i)).collect(),
        method: "barrel plugged and pinned, bolt face removed".into(),
        standard: None,
        verified_by: actor(INSPECTOR),
        verified_on: Date::parse(on).unwrap(),
        certificate: "DEACT-1".into(),
        mark: None,
    }
}

// ---- refusals -----------------------------------------------------------------------------------

/// Asserts an error's code, the JSON Pointer of its field and every value it carries.
#[track_caller]
pub fn check(
    err: &custodia::Error,
    code: custodia::ErrorCode,
    field: Option<&str>,
    values: serde_json::Value,
) {
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(err.field(), field, "field of {err}");
    assert_eq!(
        serde_json::Value::Object(err.values()),
        values,
        "values of {err}"
    );
}

/// Records `event` co-signed by `cosigners`; it must be refused, leaving the ledger (log, state
/// digest, derived tables) exactly as before and every invariant holding. Returns the refusal.
#[track_caller]
pub fn refused_event_with(w: &mut World, event: Event, cosigners: &[&str]) -> custodia::Error {
    let before = w.snapshot();
    let err = w
        .record_event(event, cosigners)
        .expect_err("the event must be refused");
    assert_eq!(w.snapshot(), before, "a refused event changed the ledger");
    w.ledger.check_invariants().unwrap();
    err
}

/// As [`refused_event_with`], without co-signers.
#[track_caller]
pub fn refused_event(w: &mut World, event: Event) -> custodia::Error {
    refused_event_with(w, event, &[])
}

/// `body` recorded by `who` at the next tick must be refused (see [`refused_event_with`]).
#[track_caller]
pub fn refused(w: &mut World, who: &str, body: impl Into<Body>) -> custodia::Error {
    let event = w.event(who, body);
    refused_event(w, event)
}
