//! Byte-driven histories, shared by the `history` and `store` fuzz targets and the
//! `core/tests/ops_history.rs` property test: any bytes decode ([`Step::decode`]) into a sequence
//! of ledger operations (registrations, dispatches, receipts with shortfalls and overages,
//! splits, merges, stock checks, losses, recoveries, status changes, authorisations,
//! destructions, corrections, keys added and revoked, rules put in force), each with an
//! occasional [`Tweak`] (another recording actor, a date before the last event or far in the
//! future, a parent dropped or added, a missing, foreign or doubled signature). A [`History`]
//! builds each one as an event through the front door (`Ledger::prepare`, `Event::sign` with
//! the keys it holds, `Ledger::append`), choosing ids and quantities from what the ledger
//! holds, so most events get past the signatures and into the ledger's rules.
//!
//! [`run`] is the oracle: after every accepted event the state's invariants hold
//! (`Ledger::check_invariants`); a refusal is a typed error of the families input to rule and
//! leaves the log (length, tree head) unchanged, and every `digest_every` steps also the
//! verified state digest; at the end the ledger verifies, and so does its export. A
//! [`Finding`] is a bug in custodia (or in this harness).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorFamily};
use crate::event::*;
use crate::model::{
    Actor, ActorId, ActorKind, CompatibilityGroup, Condition, Consignee, Date,
    DeliveryVerification, Digest, Disposition, EndUserCertificate, EventId, ExpenditurePurpose,
    Hazard, HazardDivision, IdError, Item, ItemCategory, ItemId, Licence, LicenceKind, Lot, LotId,
    Mark, MarkKind, Marking, Origin, OriginKind, PublicKey, Quantity, Residue, Role, Site, SiteId,
    SiteKind, Status, Timestamp, TransferBasis, Unit,
};
use crate::{BalanceFilter, Ledger, Options};

/// 2026-01-05T08:00:00Z: the first event of every history.
const OPS_EPOCH_SECONDS: i64 = 1_767_600_000;
/// Seconds between two steps.
const OPS_STEP_SECONDS: i64 = 60;
/// 2100-01-01T00:00:00Z: a date every writer refuses as too far ahead of its clock.
const OPS_FAR_FUTURE_SECONDS: i64 = 4_102_444_800;
/// How long after the first event the histories' destruction authorisations lapse: 400 days,
/// beyond any history's length (256 steps of a minute), in seconds.
const OPS_AUTHORISATION_VALID_SECONDS: i64 = 400 * 86_400;
/// Steps decoded from one input at most (keeps one fuzz input's run short).
pub const OPS_STEPS_MAX: usize = 256;
/// Seed of the log key of every history (tree heads compare across ledgers).
pub const OPS_LOG_KEY_SEED: [u8; 32] = [3; 32];

#[path = "ammunition_ops.rs"]
mod ammunition;
#[path = "legal_ops.rs"]
mod legal;
#[path = "tracing_ops.rs"]
mod tracing;

const ADMIN: &str = "agency:mod";
const UNIT_A: &str = "unit:a";
const UNIT_B: &str = "unit:b";
const DEMIL: &str = "unit:demil";
const AG: &str = "agency:ag";
const POLICE: &str = "agency:police";
const WITNESS_1: &str = "person:w1";
const WITNESS_2: &str = "person:w2";
const INSPECTOR: &str = "person:inspector";
const DEPOT_A: &str = "depot:a";
const DEPOT_B: &str = "depot:b";
const RANGE: &str = "range:r";

// ---- decoding ----------------------------------------------------------------------------

/// Bytes read front to back; past the end every read is 0.
#[derive(Clone, Debug)]
pub struct ByteSource<'a> {
    data: &'a [u8],
}

impl<'a> ByteSource<'a> {
    /// Reads `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }
    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }
    /// Whether the next byte is below `in_256` (a chance of `in_256`/256).
    pub fn chance(&mut self, in_256: u8) -> bool {
        self.byte() < in_256
    }
    /// `Some(f(self))` with a chance of `in_256`/256.
    pub fn maybe<T>(&mut self, in_256: u8, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        self.chance(in_256).then(|| f(self))
    }
    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// One operation. Selectors (`u8`) pick among what exists when the step runs; amounts (`u8`)
/// are fractions of what is available: 0 is zero, 1–240 that many 240ths (at least one unit),
/// above 240 asks for that many units more than there are.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    RegisterActor {
        kind: u8,
        member_of: Option<u8>,
        roles: u8,
        keyless: bool,
    },
    RegisterSite {
        kind: u8,
        parent: Option<u8>,
    },
    RegisterLot {
        place: u8,
        units: u16,
        nomenclature: u8,
        reuse: Option<u8>,
    },
    RegisterItems {
        place: u8,
        count: u8,
        reuse: Option<u8>,
    },
    Dispatch {
        lot: Option<(u8, u8)>,
        item: Option<u8>,
        to: u8,
    },
    Receive {
        dispatch: u8,
        delta: i8,
        drop_item: bool,
    },
    /// An export to another state; `licences` picks valid ones, mostly, or an expired
    /// licence or the same state on both ends.
    ExportDispatch {
        lot: Option<(u8, u8)>,
        item: Option<u8>,
        licences: u8,
    },
    ExportDelivery {
        dispatch: u8,
        delta: i8,
    },
    Mark {
        item: u8,
        kind: u8,
    },
    /// An evidence hold on an item (when `item` picks one) or a whole lot.
    Seize {
        item: Option<u8>,
        lot: u8,
    },
    /// A judicial order about what a seizure holds.
    Judge {
        seizure: u8,
        decision: u8,
    },
    /// A deactivation of an item where it is held.
    Deactivate {
        item: u8,
    },
    /// A tracing request about an item on the books (when `item` picks one) or not.
    TraceRequest {
        item: Option<u8>,
        state: u8,
    },
    /// The answer to a tracing request (answered already, perhaps).
    TraceResponse {
        request: u8,
        outcome: u8,
    },
    /// A surveillance inspection of a lot by the technical authority.
    Inspect {
        lot: u8,
        code: u8,
    },
    /// A board of inquiry on an open discrepancy account.
    Board {
        account: u8,
        units: u8,
        decision: u8,
    },
    Split {
        lot: u8,
        amount: u8,
        parts: u8,
    },
    Merge {
        a: u8,
        b: u8,
        amount_a: u8,
        amount_b: u8,
    },
    StockCheck {
        lot: Option<(u8, i8)>,
        item: Option<(u8, bool)>,
        misbooked: bool,
    },
    Loss {
        lot: Option<(u8, u8)>,
        item: Option<u8>,
        stolen: bool,
        discrepancy: Option<u8>,
    },
    Recovery {
        lot: Option<(u8, u8)>,
        item: Option<u8>,
        stolen: bool,
        place: u8,
    },
    StatusChange {
        lot: Option<u8>,
        item: Option<u8>,
        status: u8,
    },
    Authorise {
        lot: Option<(u8, u8)>,
        item: Option<u8>,
    },
    Destroy {
        authorisation: u8,
        amount: u8,
        wrong_method: bool,
        witnesses: u8,
    },
    Correct {
        target: u8,
    },
    AddKey {
        subject: u8,
    },
    RevokeKey {
        subject: u8,
        key: u8,
    },
    RulesInForce {
        with_rule: bool,
    },
    /// Ammunition expended from a holding; `purpose` picks why (and sometimes leaves out the
    /// personnel of a training), `returns` whether a return is due.
    Expend {
        lot: (u8, u8),
        purpose: u8,
        returns: bool,
    },
    /// Unfired rounds and cases returned against an open expenditure.
    ExpendReturn {
        expenditure: u8,
        unfired: u8,
        cases: u8,
    },
    /// A weapon issued to a person (mostly a registered one) for a few hours.
    Issue {
        item: u8,
        person: u8,
        hours: u8,
    },
    /// Weapons returned against an open issue.
    Return {
        issue: u8,
        all: bool,
    },
}

/// Something done wrong on purpose (rarely: most steps have [`Tweak::None`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tweak {
    /// As built.
    None,
    /// Recorded by another actor (the selector picks which).
    Actor(u8),
    /// Dated this many steps before the clock.
    Backdated(u8),
    /// Dated in 2100.
    FarFuture,
    /// The first required parent left out.
    DropParent,
    /// An accepted event added to the parents (the selector picks which).
    ExtraParent(u8),
    /// Signed by another actor's key instead of the recording actor's.
    ForeignSigner(u8),
    /// Signed by the recording actor's oldest key (revoked, perhaps).
    OldestKey,
    /// Co-signers left out.
    NoCosigners,
}

/// One step: an operation and its tweak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What to do.
    pub op: Op,
    /// What to do wrong.
    pub tweak: Tweak,
}

fn lot_amount(src: &mut ByteSource<'_>) -> Option<(u8, u8)> {
    src.maybe(224, |s| (s.byte(), s.byte()))
}

fn item_sel(src: &mut ByteSource<'_>) -> Option<u8> {
    src.maybe(96, ByteSource::byte)
}

impl Step {
    /// Decodes the next step; `None` when the bytes are used up.
    pub fn decode(src: &mut ByteSource<'_>) -> Option<Step> {
        if src.is_empty() {
            return None;
        }
        let op = match src.byte() % 50 {
            0 => Op::RegisterActor {
                kind: src.byte(),
                member_of: src.maybe(160, ByteSource::byte),
                roles: src.byte(),
                keyless: src.chance(8),
            },
            1 => Op::RegisterSite {
                kind: src.byte(),
                parent: src.maybe(64, ByteSource::byte),
            },
            2..=4 => Op::RegisterLot {
                place: src.byte(),
                units: src.u16(),
                nomenclature: src.byte(),
                reuse: src.maybe(8, ByteSource::byte),
            },
            5 => Op::RegisterItems {
                place: src.byte(),
                count: src.byte(),
                reuse: src.maybe(8, ByteSource::byte),
            },
            6..=10 => Op::Dispatch {
                lot: lot_amount(src),
                item: item_sel(src),
                to: src.byte(),
            },
            11..=14 => Op::Receive {
                dispatch: src.byte(),
                delta: i8::from_be_bytes([src.byte()]),
                drop_item: src.chance(48),
            },
            15 | 16 => Op::Split {
                lot: src.byte(),
                amount: src.byte(),
                parts: src.byte(),
            },
            17 | 18 => Op::Merge {
                a: src.byte(),
                b: src.byte(),
                amount_a: src.byte(),
                amount_b: src.byte(),
            },
            19 | 20 => Op::StockCheck {
                lot: src.maybe(224, |s| (s.byte(), i8::from_be_bytes([s.byte()]))),
                item: src.maybe(96, |s| (s.byte(), s.chance(200))),
                misbooked: src.chance(12),
            },
            21 | 22 => Op::Loss {
                lot: lot_amount(src),
                item: item_sel(src),
                stolen: src.chance(128),
                discrepancy: src.maybe(96, ByteSource::byte),
            },
            23 | 24 => Op::Recovery {
                lot: lot_amount(src),
                item: item_sel(src),
                stolen: src.chance(128),
                place: src.byte(),
            },
            25 | 26 => Op::StatusChange {
                lot: src.maybe(200, ByteSource::byte),
                item: item_sel(src),
                status: src.byte(),
            },
            27 | 28 => Op::Authorise {
                lot: lot_amount(src),
                item: item_sel(src),
            },
            29 | 30 => Op::Destroy {
                authorisation: src.byte(),
                amount: src.byte(),
                wrong_method: src.chance(12),
                witnesses: src.byte(),
            },
            31 | 32 => Op::Correct { target: src.byte() },
            33 => Op::AddKey {
                subject: src.byte(),
            },
            34 => Op::RevokeKey {
                subject: src.byte(),
                key: src.byte(),
            },
            35 => Op::RulesInForce {
                with_rule: src.chance(32),
            },
            36 => Op::ExportDispatch {
                lot: lot_amount(src),
                item: item_sel(src),
                licences: src.byte(),
            },
            37 => Op::ExportDelivery {
                dispatch: src.byte(),
                delta: i8::from_be_bytes([src.byte()]),
            },
            38 => Op::Mark {
                item: src.byte(),
                kind: src.byte(),
            },
            39 => Op::Seize {
                item: item_sel(src),
                lot: src.byte(),
            },
            40 => Op::Judge {
                seizure: src.byte(),
                decision: src.byte(),
            },
            41 => Op::Deactivate { item: src.byte() },
            42 => Op::Expend {
                lot: (src.byte(), src.byte()),
                purpose: src.byte(),
                returns: src.chance(128),
            },
            43 => Op::ExpendReturn {
                expenditure: src.byte(),
                unfired: src.byte(),
                cases: src.byte(),
            },
            44 => Op::Issue {
                item: src.byte(),
                person: src.byte(),
                hours: src.byte(),
            },
            45 => Op::Return {
                issue: src.byte(),
                all: src.chance(192),
            },
            46 => Op::TraceRequest {
                item: item_sel(src),
                state: src.byte(),
            },
            47 => Op::Inspect {
                lot: src.byte(),
                code: src.byte(),
            },
            48 => Op::Board {
                account: src.byte(),
                units: src.byte(),
                decision: src.byte(),
            },
            _ => Op::TraceResponse {
                request: src.byte(),
                outcome: src.byte(),
            },
        };
        let t = src.byte();
        let tweak = if t < 200 {
            Tweak::None
        } else {
            match t % 8 {
                0 => Tweak::Actor(src.byte()),
                1 => Tweak::Backdated(src.byte()),
                2 => Tweak::FarFuture,
                3 => Tweak::DropParent,
                4 => Tweak::ExtraParent(src.byte()),
                5 => Tweak::ForeignSigner(src.byte()),
                6 => Tweak::OldestKey,
                _ => Tweak::NoCosigners,
            }
        };
        Some(Step { op, tweak })
    }

    /// Every step of `data` (at most [`OPS_STEPS_MAX`]).
    pub fn decode_all(data: &[u8]) -> Vec<Step> {
        let mut src = ByteSource::new(data);
        std::iter::from_fn(|| Step::decode(&mut src))
            .take(OPS_STEPS_MAX)
            .collect()
    }
}

// ---- building ----------------------------------------------------------------------------

/// Why the harness itself could not go on (never a refusal of an event: those are
/// [`Outcome::Refused`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// A query of the ledger failed.
    #[error("ledger query failed: {0}")]
    Ledger(#[from] Error),
    /// A generated id is invalid.
    #[error("generated id refused: {0}")]
    Id(#[from] IdError),
    /// A generated value is out of range.
    #[error("generated value refused: {0}")]
    Value(String),
}

/// What became of one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The event was appended.
    Accepted(Box<SignedEvent>),
    /// Building, signing or appending it was refused.
    Refused(Error),
}

fn key_for(name: &str, n: u64) -> Signer {
    let mut h = Sha256::new();
    h.update(b"custodia-ops-key\0");
    h.update(name.as_bytes());
    h.update(n.to_be_bytes());
    Signer::from_seed(h.finalize().into())
}

fn qty(n: u64) -> Result<Quantity, HistoryError> {
    Quantity::new(n).map_err(|e| HistoryError::Value(e.to_string()))
}

/// The day (`YYYY-MM-DD`) of a time.
fn day(secs: i64) -> Result<Date, HistoryError> {
    let t = at(secs)?;
    let text = t.as_str().get(..10).unwrap_or_default();
    Date::parse(text).map_err(|e| HistoryError::Value(e.to_string()))
}

fn at(secs: i64) -> Result<Timestamp, HistoryError> {
    Timestamp::from_unix_seconds(secs).map_err(|e| HistoryError::Value(e.to_string()))
}

/// A fraction of `available` (see [`Op`]).
fn amount(available: i64, sel: u8) -> u64 {
    let available = u64::try_from(available.max(0)).unwrap_or(0);
    match sel {
        0 => 0,
        1..=AMOUNT_WHOLE => (available * u64::from(sel) / u64::from(AMOUNT_WHOLE)).max(1),
        over => available + u64::from(over - AMOUNT_WHOLE),
    }
}

/// The amount selector that means everything available; above it, more than there is.
const AMOUNT_WHOLE: u8 = 240;

fn pick<T: Clone>(list: &[T], sel: u8) -> Option<T> {
    if list.is_empty() {
        return None;
    }
    list.get(usize::from(sel) % list.len()).cloned()
}

/// A holding: where and with whom units are.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Holding {
    site: SiteId,
    custodian: ActorId,
    units: i64,
}

impl Holding {
    fn place(&self) -> Place {
        Place {
            site: self.site.clone(),
            custodian: self.custodian.clone(),
        }
    }
}

/// The base history every [`History`] starts from: the cast (an administrator, three
/// custodian units, two agencies, two witnesses and an inspector), three sites, two rifles
/// and a lot of 1000 rounds at depot A.
fn base_bodies() -> Result<Vec<(&'static str, Body)>, HistoryError> {
    let actor = |id: &str, kind, member_of: Option<&str>, roles: &[Role]| {
        Ok::<_, HistoryError>(Body::RegisterActor(RegisterActor {
            subject: Actor {
                id: id.parse()?,
                kind,
                name: id.to_owned(),
                member_of: member_of.map(str::parse).transpose()?,
                roles: roles.to_vec(),
                keys: vec![key_for(id, 0).public_key()],
            },
        }))
    };
    let site = |id: &str, kind| {
        Ok::<_, HistoryError>(Body::RegisterSite(RegisterSite {
            site: Site {
                id: id.parse()?,
                name: id.to_owned(),
                kind,
                parent: None,
                country: Some("CO".into()),
                licensed_neq_grams: None,
                hazard_divisions: vec![],
                two_person_rule: false,
            },
        }))
    };
    Ok(vec![
        (
            ADMIN,
            actor(
                ADMIN,
                ActorKind::Agency,
                None,
                &[Role::Admin, Role::Authoriser, Role::Inspector],
            )?,
        ),
        (
            ADMIN,
            actor(UNIT_A, ActorKind::Unit, Some(ADMIN), &[Role::Custodian])?,
        ),
        (
            ADMIN,
            actor(UNIT_B, ActorKind::Unit, Some(ADMIN), &[Role::Custodian])?,
        ),
        (
            ADMIN,
            actor(
                DEMIL,
                ActorKind::Unit,
                Some(ADMIN),
                &[Role::Custodian, Role::Destroyer],
            )?,
        ),
        (ADMIN, actor(AG, ActorKind::Agency, None, &[])?),
        (ADMIN, actor(POLICE, ActorKind::Agency, None, &[])?),
        (
            ADMIN,
            actor(WITNESS_1, ActorKind::Person, Some(AG), &[Role::Witness])?,
        ),
        (
            ADMIN,
            actor(WITNESS_2, ActorKind::Person, Some(POLICE), &[Role::Witness])?,
        ),
        (
            ADMIN,
            actor(
                INSPECTOR,
                ActorKind::Person,
                Some(AG),
                &[Role::Inspector, Role::Witness, Role::TechnicalAuthority],
            )?,
        ),
        (ADMIN, site(DEPOT_A, SiteKind::Depot)?),
        (ADMIN, site(DEPOT_B, SiteKind::Depot)?),
        (ADMIN, site(RANGE, SiteKind::Range)?),
        (
            UNIT_A,
            Body::RegisterItems(RegisterItems {
                site: DEPOT_A.parse()?,
                custodian: UNIT_A.parse()?,
                origin: Origin {
                    kind: OriginKind::Seized,
                    reference: Some("CASE-1".into()),
                    import: None,
                },
                items: vec![rifle("item:r1".parse()?), rifle("item:r2".parse()?)],
            }),
        ),
        (
            UNIT_A,
            Body::RegisterLot(RegisterLot {
                site: DEPOT_A.parse()?,
                custodian: UNIT_A.parse()?,
                origin: Origin {
                    kind: OriginKind::StockOnHand,
                    reference: None,
                    import: None,
                },
                lot: lot_def("lot:l1".parse()?, qty(1000)?, 0),
            }),
        ),
    ])
}

fn rifle(id: ItemId) -> Item {
    Item {
        category: ItemCategory::Firearm,
        item_type: "rifle".into(),
        marking: Marking {
            manufacturer: Some("ACME".into()),
            country_of_manufacture: Some("CO".into()),
            serial: Some(id.as_str().to_uppercase()),
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
        id,
    }
}

/// A lot of one of four nomenclatures (lots merge only with lots of the same kind).
fn lot_def(id: LotId, quantity: Quantity, nomenclature: u8) -> Lot {
    let (name, unit, division, group, neq) = match nomenclature % 4 {
        0 => (
            "cartridge 5.56 ball",
            Unit::Round,
            HazardDivision::D1_4,
            CompatibilityGroup::S,
            2,
        ),
        1 => (
            "cartridge 7.62 ball",
            Unit::Round,
            HazardDivision::D1_4,
            CompatibilityGroup::S,
            2,
        ),
        2 => (
            "grenade hand fragmentation",
            Unit::Piece,
            HazardDivision::D1_1,
            CompatibilityGroup::D,
            180,
        ),
        _ => (
            "explosive bulk",
            Unit::Gram,
            HazardDivision::D1_1,
            CompatibilityGroup::D,
            1,
        ),
    };
    Lot {
        lot_number: format!("LN-{}", id.as_str()),
        id,
        nomenclature: name.into(),
        unit,
        quantity,
        hazard: Some(Hazard { division, group }),
        neq_grams_per_unit: Quantity::new(neq).unwrap_or_default(),
        neq_mg: None,
        manufactured: Date::parse("2001-03").ok(),
        next_inspection: None,
        expiry: None,
        status: None,
        condition: None,
        disposition: None,
        category: Some(if unit == Unit::Gram {
            crate::model::LotCategory::Explosives
        } else {
            crate::model::LotCategory::Ammunition
        }),
    }
}

/// The base history, signed once per process.
fn base_events() -> Result<&'static [SignedEvent], HistoryError> {
    static BASE: OnceLock<Result<Vec<SignedEvent>, HistoryError>> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let mut ledger =
            Ledger::in_memory(Options::new().log_key(Signer::from_seed(OPS_LOG_KEY_SEED)))?;
        let mut out = Vec::new();
        for (n, (who, body)) in (0_i64..).zip(base_bodies()?) {
            let event = Event::new(
                at(OPS_EPOCH_SECONDS + n * OPS_STEP_SECONDS)?,
                who.parse()?,
                Vec::new(),
                body,
            );
            out.push(ledger.record(event, &[&key_for(who, 0)])?);
        }
        Ok(out)
    });
    match base {
        Ok(events) => Ok(events),
        Err(e) => Err(e.clone()),
    }
}

/// A ledger being built step by step, with the keys of its actors and what it knows exists.
pub struct History {
    ledger: Ledger,
    /// Every key given to each actor, oldest first.
    keys: BTreeMap<ActorId, Vec<Signer>>,
    revoked: BTreeSet<PublicKey>,
    actors: Vec<ActorId>,
    custodians: Vec<ActorId>,
    sites: Vec<SiteId>,
    lots: Vec<LotId>,
    /// The registered lot each lot's units come from (lot integrity: merges that should be
    /// accepted combine lots of one such root).
    roots: BTreeMap<LotId, LotId>,
    items: Vec<ItemId>,
    dispatches: Vec<(EventId, TransferDispatch)>,
    /// Dispatches not received yet.
    open_dispatches: Vec<(EventId, TransferDispatch)>,
    /// Exports whose delivery is not verified yet.
    open_exports: Vec<(EventId, ExportDispatch)>,
    /// Expenditures awaiting their return.
    open_expenditures: Vec<(EventId, Expenditure)>,
    /// Issues to persons with weapons still out.
    open_issues: Vec<(EventId, WeaponIssue)>,
    /// A key given to an actor by the event being built, held once the event is accepted.
    pending_key: Option<(ActorId, Signer)>,
    authorisations: Vec<(EventId, DestructionAuthorisation)>,
    /// Seizures accepted.
    seizures: legal::Seizures,
    /// Tracing requests accepted (answered or not).
    traces: tracing::Traces,
    journal: Vec<SignedEvent>,
    /// Every balance by stock, read once when a step begins (one query instead of one per
    /// lookup).
    balances: BTreeMap<String, Vec<crate::Balance>>,
    now: i64,
    next_id: u64,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("events", &self.journal.len())
            .finish_non_exhaustive()
    }
}

impl History {
    /// A fresh in-memory ledger holding the base history.
    pub fn new() -> Result<History, HistoryError> {
        let ledger = Ledger::in_memory(
            Options::new()
                .log_key(Signer::from_seed(OPS_LOG_KEY_SEED))
                .origin("custodia.invalid/ops"),
        )?;
        History::on(ledger)
    }

    /// The base history appended (as one batch) to `ledger`, which must be empty.
    pub fn on(mut ledger: Ledger) -> Result<History, HistoryError> {
        let base = base_events()?;
        ledger.append(base)?;
        let mut keys = BTreeMap::new();
        let mut actors = Vec::new();
        for who in [
            ADMIN, UNIT_A, UNIT_B, DEMIL, AG, POLICE, WITNESS_1, WITNESS_2, INSPECTOR,
        ] {
            let id: ActorId = who.parse()?;
            keys.insert(id.clone(), vec![key_for(who, 0)]);
            actors.push(id);
        }
        Ok(History {
            ledger,
            keys,
            revoked: BTreeSet::new(),
            actors,
            custodians: vec![UNIT_A.parse()?, UNIT_B.parse()?, DEMIL.parse()?],
            sites: vec![DEPOT_A.parse()?, DEPOT_B.parse()?, RANGE.parse()?],
            lots: vec!["lot:l1".parse()?],
            roots: BTreeMap::new(),
            items: vec!["item:r1".parse()?, "item:r2".parse()?],
            dispatches: Vec::new(),
            open_dispatches: Vec::new(),
            open_exports: Vec::new(),
            open_expenditures: Vec::new(),
            open_issues: Vec::new(),
            pending_key: None,
            authorisations: Vec::new(),
            seizures: Vec::new(),
            traces: Vec::new(),
            journal: base.to_vec(),
            balances: BTreeMap::new(),
            now: OPS_EPOCH_SECONDS + OPS_STEP_SECONDS * i64::try_from(base.len()).unwrap_or(0),
            next_id: 0,
        })
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, to write to it behind the history's back.
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// Every accepted event, in order (the base history first).
    pub fn journal(&self) -> &[SignedEvent] {
        &self.journal
    }

    /// Gives the ledger up.
    pub fn into_ledger(self) -> Ledger {
        self.ledger
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}:f{}", self.next_id)
    }

    /// Every balance of `stock`, from the snapshot taken when the step began.
    fn rows(&self, stock: &str) -> &[crate::Balance] {
        self.balances.get(stock).map_or(&[], Vec::as_slice)
    }

    fn holdings(&self, stock: &str) -> Result<Vec<Holding>, HistoryError> {
        Ok(self
            .rows(stock)
            .iter()
            .filter_map(|b| {
                Some(Holding {
                    site: b.site.clone()?,
                    custodian: b.custodian.clone()?,
                    units: b.units,
                })
                .filter(|h| h.units > 0)
            })
            .collect())
    }

    /// Units of `stock` in the account displayed as `account`.
    fn units_in(&self, stock: &str, account: &str) -> Result<i64, HistoryError> {
        Ok(self
            .rows(stock)
            .iter()
            .filter(|b| b.account == account)
            .map(|b| b.units)
            .sum())
    }

    /// A lot and one of its holdings: mostly one with units, else any place.
    fn lot_held(&self, sel: u8) -> Result<Option<(LotId, Holding)>, HistoryError> {
        let Some(lot) = pick(&self.lots, sel) else {
            return Ok(None);
        };
        let holdings = self.holdings(lot.as_str())?;
        let holding = match pick(&holdings, sel / 8) {
            Some(h) => h,
            None => self.any_place(sel)?,
        };
        Ok(Some((lot, holding)))
    }

    /// As [`History::lot_held`], mostly a lot that `custodian` holds when there is one.
    fn lot_held_by(
        &self,
        sel: u8,
        custodian: &ActorId,
    ) -> Result<Option<(LotId, Holding)>, HistoryError> {
        if !sel.is_multiple_of(4) {
            let mut there = Vec::new();
            for lot in &self.lots {
                if let Some(h) = self
                    .holdings(lot.as_str())?
                    .into_iter()
                    .find(|h| h.custodian == *custodian)
                {
                    there.push((lot.clone(), h));
                }
            }
            if let Some(found) = pick(&there, sel / 4) {
                return Ok(Some(found));
            }
        }
        self.lot_held(sel)
    }

    /// An item held at `place` when one is and `sel` mostly says so, else any item.
    fn item_at(&self, sel: u8, place: Option<&Holding>) -> Result<Option<ItemId>, HistoryError> {
        if let Some(place) = place
            && !sel.is_multiple_of(4)
        {
            let mut here = Vec::new();
            for item in &self.items {
                if self
                    .holdings(item.as_str())?
                    .iter()
                    .any(|h| h.site == place.site && h.custodian == place.custodian)
                {
                    here.push(item.clone());
                }
            }
            if let Some(item) = pick(&here, sel / 4) {
                return Ok(Some(item));
            }
        }
        Ok(pick(&self.items, sel))
    }

    fn any_place(&self, sel: u8) -> Result<Holding, HistoryError> {
        let site = pick(&self.sites, sel).ok_or_else(|| HistoryError::Value("no site".into()))?;
        let custodian = pick(&self.custodians, sel / 4)
            .ok_or_else(|| HistoryError::Value("no custodian".into()))?;
        Ok(Holding {
            site,
            custodian,
            units: 0,
        })
    }

    fn admin(&self) -> Result<ActorId, HistoryError> {
        Ok(ADMIN.parse()?)
    }

    /// The key an actor signs with: its newest key not revoked, else its newest.
    fn key(&self, who: &ActorId) -> Option<&Signer> {
        let keys = self.keys.get(who)?;
        keys.iter()
            .rev()
            .find(|k| !self.revoked.contains(&k.public_key()))
            .or_else(|| keys.last())
    }

    /// Builds the event of one step: (recording actor, body, co-signers).
    fn build(&mut self, op: &Op) -> Result<Option<(ActorId, Body, Vec<ActorId>)>, HistoryError> {
        let admin = self.admin()?;
        let built = match op {
            Op::RegisterActor {
                kind,
                member_of,
                roles,
                keyless,
            } => {
                let (kind, prefix) = match kind % 3 {
                    0 => (ActorKind::Agency, "agency"),
                    1 => (ActorKind::Unit, "unit"),
                    _ => (ActorKind::Person, "person"),
                };
                let id: ActorId = self.fresh(prefix).parse()?;
                let all = [
                    Role::Admin,
                    Role::Custodian,
                    Role::Authoriser,
                    Role::Destroyer,
                    Role::Witness,
                    Role::Inspector,
                ];
                let roles: Vec<Role> = all
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| roles & (1 << i) != 0)
                    .map(|(_, r)| *r)
                    .collect();
                let key = key_for(id.as_str(), 0);
                let subject = Actor {
                    id: id.clone(),
                    kind,
                    name: id.to_string(),
                    member_of: member_of.and_then(|s| pick(&self.actors, s)),
                    roles,
                    keys: if *keyless {
                        vec![]
                    } else {
                        vec![key.public_key()]
                    },
                };
                self.keys.entry(id).or_default().push(key);
                (
                    admin,
                    Body::RegisterActor(RegisterActor { subject }),
                    vec![],
                )
            }
            Op::RegisterSite { kind, parent } => {
                let kind = match kind % 7 {
                    0 => SiteKind::Depot,
                    1 => SiteKind::Building,
                    2 => SiteKind::Magazine,
                    3 => SiteKind::Range,
                    4 => SiteKind::Laboratory,
                    5 => SiteKind::Demilitarisation,
                    _ => SiteKind::Armoury,
                };
                let id: SiteId = self.fresh("site").parse()?;
                let site = Site {
                    name: id.to_string(),
                    id,
                    kind,
                    parent: parent.and_then(|p| pick(&self.sites, p)),
                    country: Some("CO".into()),
                    licensed_neq_grams: None,
                    hazard_divisions: vec![],
                    two_person_rule: false,
                };
                (admin, Body::RegisterSite(RegisterSite { site }), vec![])
            }
            Op::RegisterLot {
                place,
                units,
                nomenclature,
                reuse,
            } => {
                let place = self.any_place(*place)?;
                let id: LotId = match reuse.and_then(|r| pick(&self.lots, r)) {
                    Some(old) => old,
                    None => self.fresh("lot").parse()?,
                };
                let body = Body::RegisterLot(RegisterLot {
                    site: place.site,
                    custodian: place.custodian.clone(),
                    origin: Origin {
                        kind: OriginKind::StockOnHand,
                        reference: None,
                        import: None,
                    },
                    lot: lot_def(id, qty(u64::from(*units))?, *nomenclature),
                });
                (place.custodian, body, vec![])
            }
            Op::RegisterItems {
                place,
                count,
                reuse,
            } => {
                let place = self.any_place(*place)?;
                let mut items = Vec::new();
                for _ in 0..=(count % 3) {
                    items.push(rifle(self.fresh("item").parse()?));
                }
                if let Some(old) = reuse.and_then(|r| pick(&self.items, r))
                    && let Some(first) = items.first_mut()
                {
                    *first = rifle(old);
                }
                let body = Body::RegisterItems(RegisterItems {
                    site: place.site,
                    custodian: place.custodian.clone(),
                    origin: Origin {
                        kind: OriginKind::Surrendered,
                        reference: None,
                        import: None,
                    },
                    items,
                });
                (place.custodian, body, vec![])
            }
            Op::Dispatch { lot, item, to } => {
                let (lots, from) = match lot {
                    Some((sel, amt)) => match self.lot_held(*sel)? {
                        Some((lot, h)) => (
                            vec![LotQuantity {
                                lot,
                                quantity: qty(amount(h.units, *amt))?,
                            }],
                            Some(h),
                        ),
                        None => (vec![], None),
                    },
                    None => (vec![], None),
                };
                let items: Vec<ItemId> = match item {
                    Some(sel) => self.item_at(*sel, from.as_ref())?.into_iter().collect(),
                    None => vec![],
                };
                let from = match (from, items.first()) {
                    (Some(h), _) => h,
                    (None, Some(i)) => match self.holdings(i.as_str())?.first() {
                        Some(h) => h.clone(),
                        None => self.any_place(*to / 2)?,
                    },
                    (None, None) => self.any_place(*to / 2)?,
                };
                let mut dest = self.any_place(*to)?;
                if dest.site == from.site && dest.custodian == from.custodian && to % 8 != 0 {
                    dest = self.any_place(to.wrapping_add(1))?;
                }
                let body = Body::TransferDispatch(TransferDispatch {
                    from: from.place(),
                    to: dest.place(),
                    items,
                    lots,
                    reference: Some("WAYBILL".into()),
                });
                (from.custodian, body, vec![])
            }
            Op::Receive {
                dispatch,
                delta,
                drop_item,
            } => {
                // Mostly one not received yet.
                let from = if dispatch % 16 == 0 || self.open_dispatches.is_empty() {
                    &self.dispatches
                } else {
                    &self.open_dispatches
                };
                let Some((id, d)) = pick(from, *dispatch / 16) else {
                    return Ok(None);
                };
                let mut items = d.items.clone();
                if *drop_item {
                    items.pop();
                }
                let mut lots = Vec::new();
                for l in &d.lots {
                    let sent = i128::from(l.quantity.get());
                    let got = (sent + i128::from(*delta)).max(0);
                    lots.push(LotQuantity {
                        lot: l.lot.clone(),
                        quantity: qty(u64::try_from(got).unwrap_or(0))?,
                    });
                }
                if *drop_item && lots.len() > 1 {
                    lots.pop();
                }
                let body = Body::TransferReceipt(TransferReceipt {
                    dispatch: id,
                    items,
                    lots,
                    note: (*delta != 0).then(|| "counted on arrival".to_owned()),
                });
                (d.to.custodian, body, vec![])
            }
            Op::ExportDispatch {
                lot,
                item,
                licences,
            } => {
                let (lots, from) = match lot {
                    Some((sel, amt)) => match self.lot_held(*sel)? {
                        Some((lot, h)) => (
                            vec![LotQuantity {
                                lot,
                                quantity: qty(amount(h.units, *amt))?,
                            }],
                            Some(h),
                        ),
                        None => (vec![], None),
                    },
                    None => (vec![], None),
                };
                let items: Vec<ItemId> = match item {
                    Some(sel) => self.item_at(*sel, from.as_ref())?.into_iter().collect(),
                    None => vec![],
                };
                let from = match from {
                    Some(h) => h,
                    None => self.place_of_items(&items)?,
                };
                let day_ = 86_400;
                // Mostly valid licences; sometimes expired, sometimes a transfer to itself.
                let (expires, importing) = match licences % 16 {
                    0 => (day(self.now - 2 * day_)?, "PE"),
                    1 => (day(self.now + 180 * day_)?, "CO"),
                    _ => (day(self.now + 180 * day_)?, "PE"),
                };
                let issued = day(self.now - 30 * day_)?;
                let licence = |kind, number: &str, state: &str| Licence {
                    kind,
                    number: number.into(),
                    state: state.into(),
                    issued: issued.clone(),
                    expires: expires.clone(),
                };
                let body = Body::ExportDispatch(ExportDispatch {
                    from: from.place(),
                    items,
                    lots,
                    exporting_state: "CO".into(),
                    importing_state: importing.into(),
                    transit_states: vec!["EC".into()],
                    final_consignee: Consignee {
                        name: "Ejército del Perú".into(),
                        country: importing.into(),
                        address: None,
                    },
                    end_user_certificate: EndUserCertificate {
                        reference: "EUC-1".into(),
                        issued_by: "Ministerio de Defensa del Perú".into(),
                        end_use: None,
                    },
                    licences: vec![
                        licence(LicenceKind::Export, "EXP-1", "CO"),
                        licence(LicenceKind::Import, "IMP-1", importing),
                        licence(LicenceKind::Transit, "TR-1", "EC"),
                    ],
                    basis: TransferBasis::Donation,
                    reference: None,
                });
                (from.custodian, body, vec![])
            }
            Op::ExportDelivery { dispatch, delta } => {
                let Some((id, d)) = pick(&self.open_exports, *dispatch) else {
                    return Ok(None);
                };
                let mut lots = Vec::new();
                for l in &d.lots {
                    let sent = i128::from(l.quantity.get());
                    let got = (sent + i128::from(*delta)).max(0);
                    lots.push(LotQuantity {
                        lot: l.lot.clone(),
                        quantity: qty(u64::try_from(got).unwrap_or(0))?,
                    });
                }
                let body = Body::ExportDelivery(ExportDelivery {
                    dispatch: id,
                    items: d.items.clone(),
                    lots,
                    verification: DeliveryVerification {
                        reference: "DVC-1".into(),
                        issued_by: "Ministerio de Defensa del Perú".into(),
                        state: d.importing_state.clone(),
                        date: day(self.now)?,
                    },
                    note: None,
                });
                (d.from.custodian, body, vec![])
            }
            Op::Mark { item, kind } => {
                let Some(id) = self.item_at(*item, None)? else {
                    return Ok(None);
                };
                let h = self.place_of_items(std::slice::from_ref(&id))?;
                let kind = match kind % 5 {
                    0 => MarkKind::Import,
                    1 => MarkKind::State,
                    2 => MarkKind::RestoredSerial,
                    3 => MarkKind::OfficialUse,
                    _ => MarkKind::Unique,
                };
                let body = Body::MarkItems(MarkItems {
                    site: h.site.clone(),
                    custodian: h.custodian.clone(),
                    marked_by: INSPECTOR.parse()?,
                    marked_on: day(self.now)?,
                    marks: vec![Mark {
                        item: id.clone(),
                        kind,
                        elements: Marking {
                            country_of_manufacture: None,
                            manufacturer: None,
                            serial: Some(format!("CO-{}", id.as_str().to_uppercase())),
                            year: None,
                            model: None,
                            calibre: None,
                            import: None,
                        },
                        position: "left side of the receiver".into(),
                        method: Some("stamping".into()),
                    }],
                    reference: None,
                });
                (h.custodian, body, vec![])
            }
            Op::Seize { item, lot } => return self.build_seizure(*item, *lot),
            Op::Deactivate { item } => return self.build_deactivation(*item),
            Op::TraceRequest { item, state } => return self.build_trace_request(*item, *state),
            Op::Inspect { lot, code } => return self.build_inspection(*lot, *code),
            Op::Board {
                account,
                units,
                decision,
            } => return self.build_board(*account, *units, *decision),
            Op::TraceResponse { request, outcome } => {
                return self.build_trace_response(*request, *outcome);
            }
            Op::Judge { seizure, decision } => {
                return self.build_judicial_order(*seizure, *decision);
            }
            Op::Split {
                lot,
                amount: amt,
                parts,
            } => {
                let Some((lot, h)) = self.lot_held(*lot)? else {
                    return Ok(None);
                };
                let n = u64::from(parts % 3) + 1;
                let each = amount(h.units, *amt) / n;
                let mut into = Vec::new();
                for _ in 0..n {
                    into.push(SplitPart {
                        id: self.fresh("lot").parse()?,
                        quantity: qty(each)?,
                    });
                }
                let body = Body::LotSplit(LotSplit {
                    lot,
                    site: h.site.clone(),
                    custodian: h.custodian.clone(),
                    into,
                });
                (h.custodian, body, vec![])
            }
            Op::Merge {
                a,
                b,
                amount_a,
                amount_b,
            } => {
                let Some((la, h)) = self.lot_held(*a)? else {
                    return Ok(None);
                };
                // Mostly a second lot at the same holding.
                let mut here = Vec::new();
                for l in &self.lots {
                    if *l != la
                        && self
                            .holdings(l.as_str())?
                            .iter()
                            .any(|x| x.site == h.site && x.custodian == h.custodian)
                    {
                        here.push(l.clone());
                    }
                }
                // Mostly a lot of the same manufacturing lot (IATG lot integrity): a merge of
                // unlike lots is refused without a technical authority's approval.
                let root = |l: &LotId| self.roots.get(l).unwrap_or(l).clone();
                let alike: Vec<LotId> = here
                    .iter()
                    .filter(|l| root(l) == root(&la))
                    .cloned()
                    .collect();
                if b % 4 != 0 && !alike.is_empty() {
                    here = alike;
                }
                let lb = match pick(&here, *b) {
                    Some(l) if b % 8 != 0 => l,
                    _ => pick(&self.lots, *b).unwrap_or_else(|| la.clone()),
                };
                let units_b = self.units_in(
                    lb.as_str(),
                    &format!("{}@{}", h.custodian.as_str(), h.site.as_str()),
                )?;
                let body = Body::LotMerge(LotMerge {
                    site: h.site.clone(),
                    custodian: h.custodian.clone(),
                    lots: vec![
                        LotQuantity {
                            lot: la,
                            quantity: qty(amount(h.units, *amount_a))?,
                        },
                        LotQuantity {
                            lot: lb,
                            quantity: qty(amount(units_b, *amount_b))?,
                        },
                    ],
                    into: MergeTarget {
                        id: self.fresh("lot").parse()?,
                        lot_number: "MERGED".into(),
                    },
                    mixed_lot_approval: None,
                });
                (h.custodian, body, vec![])
            }
            Op::StockCheck {
                lot,
                item,
                misbooked,
            } => {
                let mut place = None;
                let mut lots = Vec::new();
                if let Some((sel, delta)) = lot
                    && let Some((lot, h)) = self.lot_held(*sel)?
                {
                    let booked = u64::try_from(h.units.max(0)).unwrap_or(0) + u64::from(*misbooked);
                    let counted = u64::try_from((i128::from(booked) + i128::from(*delta)).max(0))
                        .unwrap_or(0);
                    lots.push(LotCount {
                        lot,
                        booked: qty(booked)?,
                        counted: qty(counted)?,
                    });
                    place = Some(h);
                }
                let mut items = Vec::new();
                if let Some((sel, present)) = item
                    && let Some(i) = self.item_at(*sel, place.as_ref())?
                {
                    if place.is_none() {
                        place = self.holdings(i.as_str())?.first().cloned();
                    }
                    items.push(ItemCount {
                        item: i,
                        present: *present,
                        observed_serial: None,
                    });
                }
                let place = match place {
                    Some(p) => p,
                    None => self.any_place(0)?,
                };
                let body = Body::StockCheck(StockCheck {
                    site: place.site.clone(),
                    custodian: place.custodian.clone(),
                    lots,
                    items,
                    scope: None,
                    blind: None,
                    counters: Vec::new(),
                });
                (place.custodian, body, vec![])
            }
            Op::Loss {
                lot,
                item,
                stolen,
                discrepancy,
            } => {
                let loss = if *stolen {
                    LossKind::Stolen
                } else {
                    LossKind::Lost
                };
                if let Some(dsel) = discrepancy {
                    // From a discrepancy account: any stock it holds.
                    let open: Vec<crate::Balance> = self
                        .balances
                        .values()
                        .flatten()
                        .filter(|&b| b.account.starts_with("discrepancy:") && b.units > 0)
                        .cloned()
                        .collect();
                    if let Some(b) = pick(&open, *dsel) {
                        let id = EventId::from_hex(b.account.trim_start_matches("discrepancy:"))?;
                        let place = self.any_place(*dsel / 2)?;
                        let (items, lots) = if b.stock.starts_with("item:") && b.units == 1 {
                            (vec![b.stock.parse()?], vec![])
                        } else {
                            let n = amount(b.units, lot.map_or(50, |(_, a)| a));
                            (
                                vec![],
                                vec![LotQuantity {
                                    lot: b.stock.parse()?,
                                    quantity: qty(n)?,
                                }],
                            )
                        };
                        let body = Body::LossReport(LossReport {
                            loss,
                            site: place.site.clone(),
                            custodian: place.custodian.clone(),
                            discrepancy: Some(id),
                            items,
                            lots,
                            reference: Some("POLICE-1".into()),
                        });
                        return Ok(Some((place.custodian, body, vec![])));
                    }
                }
                let (lots, place) = self.lots_from_holding(*lot)?;
                let items = match item {
                    Some(sel) => self.item_at(*sel, place.as_ref())?.into_iter().collect(),
                    None => vec![],
                };
                let place = match place {
                    Some(p) => p,
                    None => self.place_of_items(&items)?,
                };
                let body = Body::LossReport(LossReport {
                    loss,
                    site: place.site.clone(),
                    custodian: place.custodian.clone(),
                    discrepancy: None,
                    items,
                    lots,
                    reference: None,
                });
                (place.custodian, body, vec![])
            }
            Op::Recovery {
                lot,
                item,
                stolen,
                place,
            } => {
                let (loss, sink) = if *stolen {
                    (LossKind::Stolen, "sink:stolen")
                } else {
                    (LossKind::Lost, "sink:lost")
                };
                let mut lots = Vec::new();
                if let Some((sel, amt)) = lot {
                    let mut gone = Vec::new();
                    for l in &self.lots {
                        let n = self.units_in(l.as_str(), sink)?;
                        if n > 0 {
                            gone.push((l.clone(), n));
                        }
                    }
                    let chosen = match pick(&gone, *sel) {
                        Some(g) if sel % 8 != 0 => Some(g),
                        _ => pick(&self.lots, *sel).map(|l| (l, 0)),
                    };
                    if let Some((l, n)) = chosen {
                        lots.push(LotQuantity {
                            lot: l,
                            quantity: qty(amount(n, *amt))?,
                        });
                    }
                }
                let mut items = Vec::new();
                if let Some(sel) = item {
                    let mut gone = Vec::new();
                    for i in &self.items {
                        if self.units_in(i.as_str(), sink)? > 0 {
                            gone.push(i.clone());
                        }
                    }
                    if let Some(i) = pick(&gone, *sel).or_else(|| pick(&self.items, *sel)) {
                        items.push(i);
                    }
                }
                let place = self.any_place(*place)?;
                let body = Body::Recovery(Recovery {
                    loss,
                    site: place.site.clone(),
                    custodian: place.custodian.clone(),
                    items,
                    lots,
                    reference: None,
                });
                (place.custodian, body, vec![])
            }
            Op::StatusChange { lot, item, status } => {
                // Version 1's words, then version 2's conditions and dispositions (the legal
                // ones are refused: 2027).
                let (status, condition, disposition) = match status % 15 {
                    0 => (Some(Status::Serviceable), None, None),
                    1 => (Some(Status::Unserviceable), None, None),
                    2 => (Some(Status::Surplus), None, None),
                    3 => (Some(Status::Suspended), None, None),
                    4 => (Some(Status::PendingDestruction), None, None),
                    5 => (None, Some(Condition::Serviceable), None),
                    6 => (None, Some(Condition::Unserviceable), None),
                    7 => (None, Some(Condition::UnderRepair), None),
                    8 => (None, Some(Condition::Suspended), None),
                    9 => (None, None, Some(Disposition::InService)),
                    10 => (None, None, Some(Disposition::Surplus)),
                    11 => (None, None, Some(Disposition::PendingDestruction)),
                    12 => (None, None, Some(Disposition::EvidenceHold)),
                    13 => (None, None, Some(Disposition::Forfeited)),
                    _ => (None, None, Some(Disposition::Deactivated)),
                };
                let mut by = admin.clone();
                let mut lots = Vec::new();
                if let Some(sel) = lot
                    && let Some((l, h)) = self.lot_held(*sel)?
                {
                    lots.push(l);
                    by = h.custodian;
                }
                let items: Vec<ItemId> = match item {
                    Some(sel) => self.item_at(*sel, None)?.into_iter().collect(),
                    None => vec![],
                };
                let body = Body::StatusChange(StatusChange {
                    items,
                    lots,
                    status,
                    condition,
                    disposition,
                    reason: "inspection".into(),
                });
                (by, body, vec![])
            }
            Op::Authorise { lot, item } => {
                // Mostly stock a destroyer holds, so that the destruction can follow.
                let demil: ActorId = DEMIL.parse()?;
                let (mut lots, mut place) = (vec![], None);
                if let Some((sel, amt)) = lot
                    && let Some((l, h)) = self.lot_held_by(*sel, &demil)?
                {
                    lots.push(LotQuantity {
                        lot: l,
                        quantity: qty(amount(h.units, *amt))?,
                    });
                    place = Some(h);
                }
                let items = match item {
                    Some(sel) => self.item_at(*sel, place.as_ref())?.into_iter().collect(),
                    None => vec![],
                };
                let body = Body::DestructionAuthorisation(DestructionAuthorisation {
                    reference: "ORDER-1".into(),
                    items,
                    lots,
                    methods: vec!["cutting".into(), "open_detonation".into()],
                    steps: vec![
                        crate::model::DestructionMethod::Cutting,
                        crate::model::DestructionMethod::OpenDetonation,
                    ],
                    site: None,
                    expires_at: Timestamp::from_unix_seconds(
                        OPS_EPOCH_SECONDS + OPS_AUTHORISATION_VALID_SECONDS,
                    )
                    .ok(),
                });
                (admin, body, vec![])
            }
            Op::Destroy {
                authorisation,
                amount: amt,
                wrong_method,
                witnesses,
            } => {
                let Some((id, auth)) = pick(&self.authorisations, *authorisation) else {
                    return Ok(None);
                };
                let mut lots = Vec::new();
                for l in &auth.lots {
                    let n = amount(i64::try_from(l.quantity.get()).unwrap_or(i64::MAX), *amt);
                    lots.push(LotQuantity {
                        lot: l.lot.clone(),
                        quantity: qty(n)?,
                    });
                }
                let place = match auth.lots.first() {
                    Some(l) => {
                        let holdings = self.holdings(l.lot.as_str())?;
                        holdings
                            .iter()
                            .find(|h| h.custodian.as_str() == DEMIL)
                            .or(holdings.first())
                            .cloned()
                    }
                    None => None,
                };
                let place = match place {
                    Some(p) => p,
                    None => self.place_of_items(&auth.items)?,
                };
                let pairs = [(WITNESS_1, AG), (WITNESS_2, POLICE), (INSPECTOR, AG)];
                let mut list = Vec::new();
                let mut cosigners = Vec::new();
                for (i, (w, agency)) in pairs.iter().enumerate() {
                    if witnesses & (1 << i) != 0 || (i == 0 && witnesses & 7 == 0) {
                        list.push(Witness {
                            actor: w.parse()?,
                            agency: agency.parse()?,
                        });
                        cosigners.push(w.parse()?);
                    }
                }
                let body = Body::Destruction(Destruction {
                    authorisation: id,
                    site: place.site.clone(),
                    custodian: place.custodian.clone(),
                    method: if *wrong_method {
                        "burial".into()
                    } else {
                        "cutting".into()
                    },
                    steps: vec![if *wrong_method {
                        crate::model::DestructionMethod::Other
                    } else {
                        crate::model::DestructionMethod::Cutting
                    }],
                    certificate: "CERT-1".into(),
                    items: auth.items.clone(),
                    lots,
                    witnesses: list,
                });
                (place.custodian, body, cosigners)
            }
            Op::Correct { target } => {
                let chosen = if *target < 192 {
                    self.journal.last().cloned()
                } else {
                    pick(&self.journal, *target)
                };
                let Some(event) = chosen else {
                    return Ok(None);
                };
                let body = Body::Correction(Correction {
                    reverses: event.id(),
                    reason: "recorded in error".into(),
                });
                (event.event().actor.clone(), body, vec![])
            }
            Op::AddKey { subject } => {
                let Some(subject) = pick(&self.actors, *subject) else {
                    return Ok(None);
                };
                let n = self.keys.get(&subject).map_or(0, Vec::len) as u64;
                let key = key_for(subject.as_str(), n);
                let body = Body::AddKey(AddKey {
                    subject: subject.clone(),
                    key: key.public_key(),
                });
                self.pending_key = Some((subject, key));
                (admin, body, vec![])
            }
            Op::RevokeKey { subject, key } => {
                let Some(subject) = pick(&self.actors, *subject) else {
                    return Ok(None);
                };
                let keys: Vec<PublicKey> = self
                    .keys
                    .get(&subject)
                    .map(|k| k.iter().map(Signer::public_key).collect())
                    .unwrap_or_default();
                let Some(key) = pick(&keys, *key) else {
                    return Ok(None);
                };
                let body = Body::RevokeKey(RevokeKey {
                    subject: subject.clone(),
                    key,
                    reason: "token lost".into(),
                });
                (subject, body, vec![])
            }
            Op::RulesInForce { with_rule } => {
                let rules = if *with_rule {
                    vec![RuleRef {
                        name: "witnesses".into(),
                        version: "1.0.0".into(),
                        sha256: EventId::from_bytes([0x5a; 32]),
                    }]
                } else {
                    vec![]
                };
                (admin, Body::RulesInForce(RulesInForce { rules }), vec![])
            }
            Op::Expend {
                lot: (sel, amt),
                purpose,
                returns,
            } => {
                let Some((lot, h)) = self.lot_held(*sel)? else {
                    return Ok(None);
                };
                let purpose_ = match purpose % 5 {
                    0 => ExpenditurePurpose::Training,
                    1 => ExpenditurePurpose::Operations,
                    2 => ExpenditurePurpose::ProofFiring,
                    3 => ExpenditurePurpose::SurveillanceFiring,
                    _ => ExpenditurePurpose::Demonstration,
                };
                // Mostly the personnel of a training; sometimes forgotten.
                let personnel = (purpose_ == ExpenditurePurpose::Training && purpose % 32 != 0)
                    .then_some(u64::from(*purpose % 40) + 1);
                let body = Body::Expenditure(Expenditure {
                    from: h.place(),
                    purpose: purpose_,
                    order: "ORD-1".into(),
                    range: "range 1".into(),
                    personnel,
                    lots: vec![LotQuantity {
                        lot,
                        quantity: qty(amount(h.units, *amt))?,
                    }],
                    return_by: returns.then(|| day(self.now + 86_400)).transpose()?,
                    note: None,
                });
                (h.custodian, body, vec![])
            }
            Op::ExpendReturn {
                expenditure,
                unfired,
                cases,
            } => {
                let Some((id, e)) = pick(&self.open_expenditures, *expenditure) else {
                    return Ok(None);
                };
                let mut lots = Vec::new();
                let mut residue = Vec::new();
                for l in &e.lots {
                    let expended = i64::try_from(l.quantity.get()).unwrap_or(i64::MAX);
                    let back = amount(expended, *unfired);
                    if back > 0 {
                        lots.push(LotQuantity {
                            lot: l.lot.clone(),
                            quantity: qty(back)?,
                        });
                    }
                    let fired = l.quantity.get().saturating_sub(back);
                    if *cases > 0 {
                        residue.push(Residue {
                            lot: l.lot.clone(),
                            cases: Some(amount(i64::try_from(fired).unwrap_or(0), *cases)),
                            links: None,
                        });
                    }
                }
                let body = Body::ExpenditureReturn(ExpenditureReturn {
                    expenditure: id,
                    lots,
                    residue,
                    note: None,
                });
                (e.from.custodian, body, vec![])
            }
            Op::Issue {
                item,
                person,
                hours,
            } => {
                let Some(id) = self.item_at(*item, None)? else {
                    return Ok(None);
                };
                let h = self.place_of_items(std::slice::from_ref(&id))?;
                // Mostly a registered person (a witness or the inspector), sometimes a unit.
                let people = [WITNESS_1, WITNESS_2, INSPECTOR, UNIT_B];
                let to: ActorId = people
                    .get(usize::from(*person) % people.len())
                    .copied()
                    .unwrap_or(WITNESS_1)
                    .parse()?;
                let body = Body::WeaponIssue(WeaponIssue {
                    from: h.place(),
                    to,
                    items: vec![id],
                    due: at(self.now + i64::from(*hours % 24) * 3600)?,
                    reference: None,
                });
                (h.custodian, body, vec![])
            }
            Op::Return { issue, all } => {
                let Some((id, i)) = pick(&self.open_issues, *issue) else {
                    return Ok(None);
                };
                let mut items = i.items.clone();
                if !*all && items.len() > 1 {
                    items.pop();
                }
                let body = Body::WeaponReturn(WeaponReturn {
                    issue: id,
                    items,
                    note: None,
                });
                (i.from.custodian, body, vec![])
            }
        };
        Ok(Some(built))
    }

    /// Lots moved from one holding (mostly a quantity it has), and that holding.
    fn lots_from_holding(
        &self,
        lot: Option<(u8, u8)>,
    ) -> Result<(Vec<LotQuantity>, Option<Holding>), HistoryError> {
        let Some((sel, amt)) = lot else {
            return Ok((vec![], None));
        };
        let Some((lot, h)) = self.lot_held(sel)? else {
            return Ok((vec![], None));
        };
        Ok((
            vec![LotQuantity {
                lot,
                quantity: qty(amount(h.units, amt))?,
            }],
            Some(h),
        ))
    }

    fn place_of_items(&self, items: &[ItemId]) -> Result<Holding, HistoryError> {
        if let Some(i) = items.first()
            && let Some(h) = self.holdings(i.as_str())?.first()
        {
            return Ok(h.clone());
        }
        self.any_place(0)
    }

    /// Builds, signs and appends one step's event.
    pub fn step(&mut self, step: &Step) -> Result<Option<Outcome>, HistoryError> {
        self.now += OPS_STEP_SECONDS;
        self.pending_key = None;
        self.balances.clear();
        for b in self.ledger.balances(&BalanceFilter::default())? {
            self.balances.entry(b.stock.clone()).or_default().push(b);
        }
        let Some((mut by, body, mut cosigners)) = self.build(&step.op)? else {
            return Ok(None);
        };
        let mut when = self.now;
        match step.tweak {
            Tweak::Actor(sel) => {
                if let Some(other) = pick(&self.actors, sel) {
                    by = other;
                }
            }
            Tweak::Backdated(n) => when -= OPS_STEP_SECONDS * (i64::from(n) + 1),
            Tweak::FarFuture => when = OPS_FAR_FUTURE_SECONDS,
            Tweak::NoCosigners => cosigners.clear(),
            _ => {}
        }
        let event = Event::new(at(when)?, by.clone(), Vec::new(), body);
        let mut event = match self.ledger.prepare(event) {
            Ok(e) => e,
            Err(e) => return Ok(Some(Outcome::Refused(e))),
        };
        match step.tweak {
            Tweak::DropParent if !event.parents.is_empty() => {
                event.parents.remove(0);
            }
            Tweak::ExtraParent(sel) => {
                if let Some(extra) = pick(&self.journal, sel) {
                    let id = extra.id();
                    if !event.parents.contains(&id) {
                        event.parents.push(id);
                    }
                }
            }
            _ => {}
        }
        let mut signer_ids = vec![by.clone()];
        if let Tweak::ForeignSigner(sel) = step.tweak
            && let Some(other) = pick(&self.actors, sel)
        {
            signer_ids = vec![other];
        }
        signer_ids.append(&mut cosigners);
        let mut signers: Vec<&Signer> = Vec::new();
        for (n, who) in signer_ids.iter().enumerate() {
            let key = if n == 0 && step.tweak == Tweak::OldestKey {
                self.keys.get(who).and_then(|k| k.first())
            } else {
                self.key(who)
            };
            if let Some(key) = key {
                signers.push(key);
            }
        }
        let signed = match event.sign(&signers) {
            Ok(s) => s,
            Err(e) => return Ok(Some(Outcome::Refused(e))),
        };
        match self.ledger.append(std::slice::from_ref(&signed)) {
            Ok(_) => {
                self.accepted(&signed)?;
                Ok(Some(Outcome::Accepted(Box::new(signed))))
            }
            Err(e) => Ok(Some(Outcome::Refused(e))),
        }
    }

    /// Remembers what an accepted event created.
    fn accepted(&mut self, signed: &SignedEvent) -> Result<(), HistoryError> {
        if let Some((who, key)) = self.pending_key.take() {
            self.keys.entry(who).or_default().push(key);
        }
        match &signed.event().body {
            Body::RegisterActor(r) => {
                let id = r.subject.id.clone();
                if r.subject.roles.contains(&Role::Custodian) {
                    self.custodians.push(id.clone());
                }
                self.actors.push(id);
            }
            Body::RegisterSite(r) => self.sites.push(r.site.id.clone()),
            Body::RegisterLot(r) if !self.lots.contains(&r.lot.id) => {
                self.lots.push(r.lot.id.clone());
            }
            Body::RegisterItems(r) => {
                for i in &r.items {
                    if !self.items.contains(&i.id) {
                        self.items.push(i.id.clone());
                    }
                }
            }
            Body::LotSplit(s) => {
                let root = self.roots.get(&s.lot).unwrap_or(&s.lot).clone();
                for p in &s.into {
                    self.roots.insert(p.id.clone(), root.clone());
                }
                self.lots.extend(s.into.iter().map(|p| p.id.clone()));
            }
            Body::LotMerge(m) => {
                let first = m.lots.first().map(|l| l.lot.clone());
                if let Some(first) = first {
                    let root = self.roots.get(&first).unwrap_or(&first).clone();
                    self.roots.insert(m.into.id.clone(), root);
                }
                self.lots.push(m.into.id.clone());
            }
            Body::TransferDispatch(d) => {
                self.dispatches.push((signed.id(), d.clone()));
                self.open_dispatches.push((signed.id(), d.clone()));
            }
            Body::TransferReceipt(r) => self.open_dispatches.retain(|(id, _)| *id != r.dispatch),
            Body::ExportDispatch(d) => self.open_exports.push((signed.id(), d.clone())),
            Body::ExportDelivery(d) => self.open_exports.retain(|(id, _)| *id != d.dispatch),
            Body::Seizure(s) => self.seizures.push((signed.id(), s.clone())),
            Body::Expenditure(e) if e.return_by.is_some() => {
                self.open_expenditures.push((signed.id(), e.clone()));
            }
            Body::ExpenditureReturn(r) => {
                self.open_expenditures
                    .retain(|(id, _)| *id != r.expenditure);
            }
            Body::WeaponIssue(i) => self.open_issues.push((signed.id(), i.clone())),
            Body::WeaponReturn(r) => {
                for (id, i) in &mut self.open_issues {
                    if *id == r.issue {
                        i.items.retain(|x| !r.items.contains(x));
                    }
                }
                self.open_issues.retain(|(_, i)| !i.items.is_empty());
            }
            Body::TraceRequest(r) => self.traces.push((signed.id(), r.clone())),
            Body::DestructionAuthorisation(a) => {
                self.authorisations.push((signed.id(), a.clone()));
            }
            Body::RevokeKey(r) => {
                self.revoked.insert(r.key);
            }
            _ => {}
        }
        self.journal.push(signed.clone());
        Ok(())
    }
}

// ---- the oracle ---------------------------------------------------------------------------

/// How thoroughly [`run`] checks.
#[derive(Clone, Copy, Debug)]
pub struct Checks {
    /// Every this many steps, the verified state digest before and after a refusal is compared
    /// (0: never). Verification replays the whole ledger, so this is the costly check.
    pub digest_every: usize,
    /// Verify the ledger and its export at the end.
    pub verify_at_end: bool,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            digest_every: 16,
            verify_at_end: true,
        }
    }
}

/// A broken oracle: a bug in custodia (or in this harness).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Finding {
    /// The harness could not build or query.
    #[error("harness: {0}")]
    Harness(#[from] HistoryError),
    /// An invariant broke after an accepted event.
    #[error("step {step} ({op:?}): invariant broken: {error}")]
    Invariant {
        /// The step.
        step: usize,
        /// Its operation.
        op: Op,
        /// The invariant's report.
        error: Error,
    },
    /// A refusal of a family that a well-formed event never meets (integrity, storage, usage).
    #[error("step {step} ({op:?}): refused with an unexpected error: {error}")]
    UnexpectedError {
        /// The step.
        step: usize,
        /// Its operation.
        op: Op,
        /// The error.
        error: Error,
    },
    /// A refused event changed the log or the state.
    #[error("step {step} ({op:?}): refused ({error}) but changed the ledger: {what}")]
    RefusalChanged {
        /// The step.
        step: usize,
        /// Its operation.
        op: Op,
        /// The refusal.
        error: Error,
        /// What changed.
        what: String,
    },
    /// The ledger or its export does not verify, or they disagree.
    #[error("verification: {0}")]
    Verify(String),
}

/// What [`run`] did.
#[derive(Debug)]
pub struct RunReport {
    /// The history built.
    pub history: History,
    /// Steps decoded.
    pub steps: usize,
    /// Events accepted (beyond the base history).
    pub accepted: usize,
    /// Refusals by error code.
    pub refused: BTreeMap<u32, usize>,
    /// The verified state digest at the end (when verified).
    pub state_digest: Option<Digest>,
}

/// Whether a refusal's family is one an event built by the harness may meet.
pub fn refusal_expected(error: &Error) -> bool {
    matches!(
        error.family(),
        ErrorFamily::Input
            | ErrorFamily::Validation
            | ErrorFamily::Custody
            | ErrorFamily::Authorisation
            | ErrorFamily::Signature
            | ErrorFamily::Rule
    )
}

fn verified_digest(ledger: &Ledger) -> Result<Digest, Finding> {
    let report = ledger.verify().map_err(HistoryError::from)?;
    if !report.ok {
        return Err(Finding::Verify(format!(
            "the ledger does not verify: {:?}",
            report.failure
        )));
    }
    Ok(report.state_digest)
}

/// Verifies `ledger` and its JSONL export; both must succeed with the same state digest and
/// event count. Returns the digest.
pub fn verify_both(ledger: &Ledger) -> Result<Digest, Finding> {
    let digest = verified_digest(ledger)?;
    let mut export = Vec::new();
    let n = ledger
        .export_jsonl(&mut export)
        .map_err(HistoryError::from)?;
    let report = crate::verify_jsonl(std::io::Cursor::new(&export), None);
    if !report.ok || report.events != n || report.state_digest != digest {
        return Err(Finding::Verify(format!(
            "the export ({n} events) verifies as {} events, ok {}, digest {} (ledger {digest}): {:?}",
            report.events, report.ok, report.state_digest, report.failure
        )));
    }
    Ok(digest)
}

/// Runs the steps decoded from `data` on a fresh [`History`], checking after every step.
pub fn run(data: &[u8], checks: Checks) -> Result<RunReport, Finding> {
    run_on(History::new()?, data, checks)
}

/// As [`run`], on a given history.
pub fn run_on(mut history: History, data: &[u8], checks: Checks) -> Result<RunReport, Finding> {
    let steps = Step::decode_all(data);
    let mut accepted = 0;
    let mut refused: BTreeMap<u32, usize> = BTreeMap::new();
    for (n, step) in steps.iter().enumerate() {
        let ledger = history.ledger();
        let len = ledger.len().map_err(HistoryError::from)?;
        let head = ledger.tree_head().map_err(HistoryError::from)?;
        let digest = if checks.digest_every > 0 && n % checks.digest_every == 0 {
            Some(verified_digest(ledger)?)
        } else {
            None
        };
        match history.step(step)? {
            None => {}
            Some(Outcome::Accepted(_)) => {
                accepted += 1;
                if let Err(error) = history.ledger().check_invariants() {
                    return Err(Finding::Invariant {
                        step: n,
                        op: step.op.clone(),
                        error,
                    });
                }
            }
            Some(Outcome::Refused(error)) => {
                if !refusal_expected(&error) {
                    return Err(Finding::UnexpectedError {
                        step: n,
                        op: step.op.clone(),
                        error,
                    });
                }
                *refused.entry(error.code().get()).or_default() += 1;
                let ledger = history.ledger();
                let changed = |what: String| Finding::RefusalChanged {
                    step: n,
                    op: step.op.clone(),
                    error: error.clone(),
                    what,
                };
                let len_after = ledger.len().map_err(HistoryError::from)?;
                if len_after != len {
                    return Err(changed(format!("length {len} became {len_after}")));
                }
                let head_after = ledger.tree_head().map_err(HistoryError::from)?;
                if head_after != head {
                    return Err(changed("the tree head".into()));
                }
                if let Some(before) = digest {
                    let after = verified_digest(ledger)?;
                    if after != before {
                        return Err(changed(format!("state digest {before} became {after}")));
                    }
                }
            }
        }
    }
    let state_digest = if checks.verify_at_end {
        Some(verify_both(history.ledger())?)
    } else {
        None
    };
    Ok(RunReport {
        history,
        steps: steps.len(),
        accepted,
        refused,
        state_digest,
    })
}

/// The store oracle: appends `events` to a new ledger file at `path` in batches whose sizes
/// come from `splits` (each byte: 1–8 events; odd bytes append as JSON lines, even ones as
/// typed events), reopens the file, verifies it, and checks that its state digest, length and
/// root equal `expected` (the same events appended another way). Returns the file's digest.
pub fn store_roundtrip(
    events: &[SignedEvent],
    splits: &[u8],
    path: &std::path::Path,
    expected: &Digest,
) -> Result<Digest, Finding> {
    let options = || Options::new().log_key(Signer::from_seed(OPS_LOG_KEY_SEED));
    let h = |e: Error| Finding::Harness(HistoryError::Ledger(e));
    {
        let mut ledger =
            Ledger::create(path, options().origin("custodia.invalid/ops")).map_err(h)?;
        let mut rest = events;
        let mut sizes = splits.iter().cycle();
        while !rest.is_empty() {
            let b = sizes.next().copied().unwrap_or(0);
            let (batch, tail) = rest.split_at((usize::from(b % 8) + 1).min(rest.len()));
            rest = tail;
            let report = if b % 2 == 1 {
                let lines: String = batch.iter().map(|e| format!("{}\n", e.to_json())).collect();
                ledger.append_json_lines(lines.as_bytes())
            } else {
                ledger.append(batch)
            };
            if let Err(e) = report {
                return Err(Finding::Verify(format!(
                    "a batch of an accepted history was refused: {e}"
                )));
            }
        }
    }
    let reopened = Ledger::open(path, options()).map_err(h)?;
    let digest = verify_both(&reopened)?;
    if digest != *expected {
        return Err(Finding::Verify(format!(
            "the file's state digest {digest} differs from {expected}"
        )));
    }
    let len = reopened.len().map_err(h)?;
    if len != events.len() as u64 {
        return Err(Finding::Verify(format!(
            "the file holds {len} events, not {}",
            events.len()
        )));
    }
    let read_only = Ledger::open(path, Options::new()).map_err(h)?;
    let head = read_only.tree_head().map_err(h)?;
    if head.size != len || read_only.verify().map_err(h)?.state_digest != digest {
        return Err(Finding::Verify(
            "the read-only reopen disagrees with the writer".into(),
        ));
    }
    Ok(digest)
}
