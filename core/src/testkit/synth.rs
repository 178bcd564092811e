//! Deterministic synthetic ledgers: a national stockpile with depots, ammunition lots and
//! serialized weapons, transfers (some with receipt discrepancies), stock checks, thefts, lot
//! splits, status changes, witnessed destruction campaigns, exports with their licences,
//! tracing requests answered, surveillance inspections that suspend lots and clear them,
//! boards of inquiry closing discrepancies, an armoury's day (rifles issued to a soldier and
//! returned, rounds fired in training, unfired rounds and cases turned in), and the legal life
//! cycle: weapons imported from foreign manufacturers with their import records and import
//! marks, seizures under an evidence hold later forfeited by a court, serial numbers restored
//! by a forensic laboratory, and deactivations verified by the proof house. Events fall on
//! simulated days at working hours, with a schedule beside the random mix (`synth_calendar.rs`:
//! daily armoury issues, monthly training, quarterly full counts). The same seed gives the same
//! signed events, byte for byte, at any scale.
//!
//! The generator keeps only a [`State`] (bounded by the stockpile, not by the number of
//! events), the actors' keys and a few lists of live stock, so millions of events stream
//! without being held in memory. Every event is valid against a fresh ledger in order. Tests,
//! benchmarks and the command line's `demo` and `synth` share it.

use std::collections::{BTreeMap, VecDeque};

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::event::*;
use crate::ledger::{Account, SignatureCheck, State};
use crate::model::{
    Actor, ActorId, ActorKind, CompatibilityGroup, Condition, Date, DestructionMethod, Disposition,
    Hazard, HazardDivision, IdError, Item, ItemCategory, ItemId, Lot, LotId, Marking, Origin,
    OriginKind, Quantity, Role, Site, SiteId, SiteKind, Timestamp, Unit,
};

#[path = "synth_exports.rs"]
mod exports;
#[path = "synth_tracing.rs"]
mod tracing;

#[path = "synth_surveillance.rs"]
mod surveillance;

#[path = "synth_armoury.rs"]
mod armoury;

#[path = "synth_legal.rs"]
mod legal;

#[path = "synth_calendar.rs"]
mod calendar;

pub use calendar::SYNTH_EVENTS_PER_DAY_DEFAULT;
#[path = "synth_steady.rs"]
mod steady;

/// Depots in the synthetic stockpile.
pub const SYNTH_DEPOTS: usize = 4;
/// The first simulated day by default ([`Synth::new`]): 2026-01-01, whose midnight UTC is
/// this many Unix seconds. At about 150 events a simulated day, 50,000 events reach December
/// 2026; [`Synth::with_start`] starts earlier.
const SYNTH_EPOCH_SECONDS: i64 = 1_767_225_600;
/// The year of `SYNTH_EPOCH_SECONDS`.
const SYNTH_EPOCH_YEAR: i64 = 2026;
/// Years between the first simulated day's year and the oldest lot's year of manufacture
/// (lots are made over the 40 years before: 1980 to 2019 for a start in 2026).
const MANUFACTURED_YEARS_BEFORE: i64 = 46;
/// The year of manufacture marked on the generator's rifles (ITI §8(a)).
const RIFLES_MADE_MARK: u16 = 1987;
/// How long a synthetic destruction authorisation is valid: 30 days, in seconds.
const AUTHORISATION_VALID_SECONDS: i64 = 30 * 86_400;
/// Attempts at finding live stock before registering new stock instead.
const PICK_ATTEMPTS_MAX: usize = 8;

/// Why the generator stopped (a bug in the generator or in the ledger rules it follows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// The ledger refused a generated event.
    #[error("generated event refused: {0}")]
    Refused(#[from] Error),
    /// A generated id is invalid.
    #[error("generated id refused: {0}")]
    Id(#[from] IdError),
    /// A generated value is out of range.
    #[error("generated value refused: {0}")]
    Value(String),
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same everywhere.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `lo..=hi` (slightly biased for huge ranges; fine for synthetic data).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }
    /// An index below `len` (`len` > 0).
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.range(0, len.saturating_sub(1) as u64)).unwrap_or(0)
    }
}

/// The synthetic stockpile's cast.
struct Cast {
    admin: ActorId,
    ag: ActorId,
    police: ActorId,
    inspector: ActorId,
    officer: ActorId,
    demil: ActorId,
    /// The ammunition technical authority: inspects lots, lifts suspensions.
    ato: ActorId,
    range: SiteId,
    depots: Vec<(SiteId, ActorId)>,
}

/// A streaming generator of signed synthetic events.
pub struct Synth {
    seed: u64,
    rng: SplitMix64,
    state: State,
    keys: BTreeMap<ActorId, Signer>,
    queue: VecDeque<SignedEvent>,
    cast: Option<Cast>,
    emitted: u64,
    lots: Vec<LotId>,
    items: Vec<ItemId>,
    next_lot: u64,
    next_item: u64,
    next_ref: u64,
    /// Seizures not yet decided by a court.
    legal: legal::Legal,
    /// The clock and the schedule.
    calendar: calendar::Calendar,
    /// Steady-state mode ([`Synth::steady`]): transfers and stock checks of a fixed stockpile.
    steady: bool,
    /// The year of the first simulated day.
    start_year: i64,
}

impl std::fmt::Debug for Synth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synth")
            .field("seed", &self.seed)
            .field("emitted", &self.emitted)
            .finish()
    }
}

fn qty(n: u64) -> Result<Quantity, SynthError> {
    Quantity::new(n).map_err(|e| SynthError::Value(e.to_string()))
}

impl Synth {
    /// A generator; `seed` fixes every key, id, quantity and choice.
    pub fn new(seed: u64) -> Self {
        Self::with_events_per_day(seed, SYNTH_EVENTS_PER_DAY_DEFAULT)
    }

    /// A generator whose simulated days hold `per_day` random events besides the schedule
    /// (fewer a day: the same number of events spans more days, months and quarters).
    pub fn with_events_per_day(seed: u64, per_day: u32) -> Self {
        Self::starting(seed, per_day, SYNTH_EPOCH_SECONDS, SYNTH_EPOCH_YEAR)
    }

    /// A generator whose first simulated day is `start` (a whole date `YYYY-MM-DD`, UTC) and
    /// whose days hold `per_day` random events besides the schedule. Everything dated by the
    /// generator moves with it: event times, licences' and authorisations' validity, reference
    /// numbers (`LIC-2015-000001` in 2015) and lots' years of manufacture (the 46 to 7 years
    /// before the start). The same seed, start and `per_day` give the same events. A writer
    /// refuses events dated more than a day after its clock, so `N` events must end before
    /// today: about 150 a simulated day with the default `per_day`.
    pub fn with_start(seed: u64, per_day: u32, start: &Date) -> Result<Self, SynthError> {
        let whole_date = || {
            SynthError::Value(format!(
                "start `{}`: a whole date `YYYY-MM-DD` is needed, not a month",
                start.as_str()
            ))
        };
        let midnight = start.day_start_unix().ok_or_else(whole_date)?;
        // `Date::parse` accepted it, so it starts with four digits of the year.
        let year = start
            .as_str()
            .get(..4)
            .and_then(|y| y.parse::<i64>().ok())
            .ok_or_else(whole_date)?;
        // The generator's rifles are marked as made in `RIFLES_MADE_MARK`, and nothing is
        // registered before it is made.
        let made = i64::from(RIFLES_MADE_MARK);
        if year <= made {
            return Err(SynthError::Value(format!(
                "start `{}`: the generator's rifles are marked as made in {made}, so it \
                 starts in {} or later",
                start.as_str(),
                made + 1
            )));
        }
        Ok(Self::starting(seed, per_day, midnight, year))
    }

    fn starting(seed: u64, per_day: u32, midnight: i64, start_year: i64) -> Self {
        Self {
            seed,
            rng: SplitMix64::new(seed),
            state: State::default(),
            keys: BTreeMap::new(),
            queue: VecDeque::new(),
            cast: None,
            emitted: 0,
            lots: Vec::new(),
            items: Vec::new(),
            next_lot: 0,
            next_item: 0,
            next_ref: 0,
            legal: legal::Legal::default(),
            calendar: calendar::Calendar::new(per_day, midnight),
            start_year,
            steady: false,
        }
    }

    /// The signing key the generator uses for an actor (derived from the seed).
    pub fn key_of(&self, actor: &ActorId) -> Option<&Signer> {
        self.keys.get(actor)
    }

    /// The next event.
    pub fn next_event(&mut self) -> Result<SignedEvent, SynthError> {
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Ok(e);
            }
            self.step()?;
        }
    }

    fn key_for(&self, name: &str) -> Signer {
        let mut h = Sha256::new();
        h.update(b"custodia-synth-key\0");
        h.update(self.seed.to_be_bytes());
        h.update(name.as_bytes());
        Signer::from_seed(h.finalize().into())
    }

    fn emit(
        &mut self,
        actor: &ActorId,
        body: Body,
        cosigners: &[&ActorId],
    ) -> Result<SignedEvent, SynthError> {
        let secs = self.clock();
        let at =
            Timestamp::from_unix_seconds(secs).map_err(|e| SynthError::Value(e.to_string()))?;
        let mut event = Event::new(at, actor.clone(), Vec::new(), body);
        event.parents = self.state.required_parents(&event)?;
        let mut signers = Vec::with_capacity(1 + cosigners.len());
        for who in std::iter::once(actor).chain(cosigners.iter().copied()) {
            let key = self
                .keys
                .get(who)
                .ok_or_else(|| SynthError::Value(format!("no key for `{who}`")))?;
            signers.push(key);
        }
        let signed = event.sign(&signers)?;
        self.state
            .apply(&signed, SignatureCheck::AlreadyVerified, None)?;
        self.emitted += 1;
        self.calendar.emitted(secs);
        self.queue.push_back(signed.clone());
        Ok(signed)
    }

    fn register(
        &mut self,
        admin: &ActorId,
        id: &str,
        kind: ActorKind,
        member_of: Option<&ActorId>,
        roles: &[Role],
    ) -> Result<ActorId, SynthError> {
        let actor: ActorId = id.parse()?;
        let key = self.key_for(id);
        let subject = Actor {
            id: actor.clone(),
            kind,
            name: id.to_owned(),
            member_of: member_of.cloned(),
            roles: roles.to_vec(),
            keys: vec![key.public_key()],
        };
        self.keys.insert(actor.clone(), key);
        self.emit(admin, Body::RegisterActor(RegisterActor { subject }), &[])?;
        Ok(actor)
    }

    fn setup(&mut self) -> Result<Cast, SynthError> {
        let admin: ActorId = "agency:ministry-of-defence".parse()?;
        let key = self.key_for(admin.as_str());
        let genesis = Actor {
            id: admin.clone(),
            kind: ActorKind::Agency,
            name: "Ministry of Defence".into(),
            member_of: None,
            roles: vec![Role::Admin, Role::Authoriser, Role::Inspector],
            keys: vec![key.public_key()],
        };
        self.keys.insert(admin.clone(), key);
        self.emit(
            &admin,
            Body::RegisterActor(RegisterActor { subject: genesis }),
            &[],
        )?;
        let ag = self.register(
            &admin,
            "agency:attorney-general",
            ActorKind::Agency,
            None,
            &[],
        )?;
        let police = self.register(&admin, "agency:civil-police", ActorKind::Agency, None, &[])?;
        let inspector = self.register(
            &admin,
            "person:inspector-7",
            ActorKind::Person,
            Some(&ag),
            &[Role::Witness],
        )?;
        let officer = self.register(
            &admin,
            "person:officer-31",
            ActorKind::Person,
            Some(&police),
            &[Role::Witness],
        )?;
        let demil = self.register(
            &admin,
            "unit:demil-team-1",
            ActorKind::Unit,
            Some(&admin),
            &[Role::Custodian, Role::Destroyer],
        )?;
        let ato = self.register(
            &admin,
            "person:ato-1",
            ActorKind::Person,
            Some(&admin),
            &[Role::TechnicalAuthority],
        )?;
        let site = |id: &SiteId, kind| Site {
            id: id.clone(),
            name: id.to_string(),
            kind,
            parent: None,
            country: Some("CO".into()),
            licensed_neq_grams: None,
            hazard_divisions: vec![],
            two_person_rule: false,
        };
        let range: SiteId = "range:la-cuchilla".parse()?;
        self.emit(
            &admin,
            Body::RegisterSite(RegisterSite {
                site: site(&range, SiteKind::Range),
            }),
            &[],
        )?;
        let mut depots = Vec::new();
        for n in 1..=SYNTH_DEPOTS {
            let unit = self.register(
                &admin,
                &format!("unit:log-bn-{n}"),
                ActorKind::Unit,
                Some(&admin),
                &[Role::Custodian],
            )?;
            let depot: SiteId = format!("depot:{n:02}").parse()?;
            self.emit(
                &admin,
                Body::RegisterSite(RegisterSite {
                    site: site(&depot, SiteKind::Depot),
                }),
                &[],
            )?;
            depots.push((depot, unit));
        }
        Ok(Cast {
            admin,
            ag,
            police,
            inspector,
            officer,
            demil,
            ato,
            range,
            depots,
        })
    }

    /// The next reference number of a document, with the year it is issued in
    /// (`WAYBILL-2026-000042`).
    fn reference(&mut self, prefix: &str) -> Result<String, SynthError> {
        self.next_ref += 1;
        let today = tracing::day(self.clock())?;
        let year = today.as_str().get(..4).ok_or_else(|| {
            SynthError::Value(format!("a day without a year: `{}`", today.as_str()))
        })?;
        Ok(format!("{prefix}-{year}-{:06}", self.next_ref))
    }

    fn register_lot(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let (depot, unit) = cast
            .depots
            .get(self.rng.index(cast.depots.len()))
            .cloned()
            .ok_or_else(|| SynthError::Value("no depot".into()))?;
        self.next_lot += 1;
        let n = self.next_lot;
        // Whole grams per unit, and milligrams (format version 2) within them.
        let (nomenclature, calibre, neq, neq_mg) = match n % 3 {
            0 => ("cartridge 7.62x39 ball", "762x39", 2, 2_050),
            1 => ("cartridge 5.56x45 ball", "556x45", 2, 2_000),
            _ => ("grenade hand fragmentation", "grenade", 180, 180_000),
        };
        let id: LotId = format!("lot:{calibre}-{n:07}").parse()?;
        let quantity = if neq > 100 {
            self.rng.range(200, 2_000)
        } else {
            self.rng.range(5_000, 50_000)
        };
        let lot = Lot {
            id: id.clone(),
            nomenclature: nomenclature.into(),
            lot_number: format!("KZ-{}-{n:07}", 1980 + n % 40),
            unit: Unit::Round,
            quantity: qty(quantity)?,
            hazard: Some(Hazard {
                division: if neq > 100 {
                    HazardDivision::D1_1
                } else {
                    HazardDivision::D1_4
                },
                group: if neq > 100 {
                    CompatibilityGroup::D
                } else {
                    CompatibilityGroup::S
                },
            }),
            neq_grams_per_unit: qty(neq)?,
            neq_mg: Some(qty(neq_mg)?),
            manufactured: Some(
                Date::parse(&format!(
                    "{}-{:02}",
                    self.start_year - MANUFACTURED_YEARS_BEFORE
                        + i64::try_from(n % 40).map_err(|e| SynthError::Value(e.to_string()))?,
                    1 + n % 12
                ))
                .map_err(|e| SynthError::Value(e.to_string()))?,
            ),
            next_inspection: None,
            expiry: None,
            status: None,
            condition: None,
            disposition: None,
            category: Some(crate::model::LotCategory::Ammunition),
        };
        let origin = Origin {
            kind: if n.is_multiple_of(4) {
                OriginKind::Manufactured
            } else {
                OriginKind::StockOnHand
            },
            reference: None,
            import: None,
        };
        self.emit(
            &unit,
            Body::RegisterLot(RegisterLot {
                site: depot,
                custodian: unit.clone(),
                origin,
                lot,
            }),
            &[],
        )?;
        self.lots.push(id);
        Ok(())
    }

    fn register_items(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let (depot, unit) = cast
            .depots
            .get(self.rng.index(cast.depots.len()))
            .cloned()
            .ok_or_else(|| SynthError::Value("no depot".into()))?;
        let count = self.rng.range(1, 5);
        let mut items = Vec::new();
        for _ in 0..count {
            self.next_item += 1;
            let n = self.next_item;
            let id: ItemId = format!("item:akm-{n:08}").parse()?;
            items.push(Item {
                id: id.clone(),
                category: ItemCategory::Firearm,
                item_type: "assault rifle".into(),
                marking: Marking {
                    manufacturer: Some("Izhmash".into()),
                    country_of_manufacture: Some("RU".into()),
                    serial: Some(format!("{n:08}")),
                    year: Some(RIFLES_MADE_MARK),
                    model: Some("AKM".into()),
                    calibre: Some("7.62x39mm".into()),
                    import: None,
                },
                status: None,
                condition: None,
                disposition: None,
                att_category: Some(crate::model::AttCategory::AssaultRifles),
                hazard: None,
                neq_mg: None,
            });
            self.items.push(id);
        }
        let reference = self.reference("CASE")?;
        let origin = Origin {
            kind: OriginKind::Seized,
            reference: Some(reference),
            import: None,
        };
        self.emit(
            &unit,
            Body::RegisterItems(RegisterItems {
                site: depot,
                custodian: unit.clone(),
                origin,
                items,
            }),
            &[],
        )?;
        Ok(())
    }

    /// A live lot held at a depot: (lot, site, custodian, units there).
    fn pick_lot(&mut self, cast: &Cast) -> Option<(LotId, SiteId, ActorId, u64)> {
        for _ in 0..PICK_ATTEMPTS_MAX {
            if self.lots.is_empty() {
                return None;
            }
            let i = self.rng.index(self.lots.len());
            let id = self.lots.get(i)?.clone();
            let found = self.state.lot(&id).and_then(|l| {
                l.balances.iter().find_map(|(a, b)| match a {
                    Account::Holding { site, custodian } if *site != cast.range && *b > 0 => {
                        Some((site.clone(), custodian.clone(), u64::try_from(*b).ok()?))
                    }
                    _ => None,
                })
            });
            match found {
                Some((site, custodian, units)) => return Some((id, site, custodian, units)),
                None => {
                    self.lots.swap_remove(i);
                }
            }
        }
        None
    }

    /// Live items held at one depot by one custodian (up to `max`).
    fn pick_items(&mut self, site: &SiteId, custodian: &ActorId, max: usize) -> Vec<ItemId> {
        let want = Account::Holding {
            site: site.clone(),
            custodian: custodian.clone(),
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.items.len() && out.len() < max {
            let Some(id) = self.items.get(i).cloned() else {
                break;
            };
            match self.state.item(&id).map(|s| &s.location) {
                Some(loc) if *loc == want => {
                    out.push(id);
                    i += 1;
                }
                Some(Account::Holding { .. }) => i += 1,
                _ => {
                    // Destroyed, stolen or in transit for good: no longer live.
                    self.items.swap_remove(i);
                }
            }
            // Keep the scan short on large stockpiles.
            if i > 64 {
                break;
            }
        }
        out
    }

    fn transfer(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, from, units)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let others: Vec<&(SiteId, ActorId)> =
            cast.depots.iter().filter(|(s, _)| *s != site).collect();
        let Some((to_site, to_unit)) = others
            .get(self.rng.index(others.len()))
            .map(|p| (*p).clone())
        else {
            return self.register_lot(cast);
        };
        let sent = self.rng.range(1, (units / 2).max(1));
        let items = if self.rng.range(0, 3) == 0 {
            self.pick_items(&site, &from, 2)
        } else {
            Vec::new()
        };
        // (The steady mode draws the same numbers but opens no discrepancy account.)
        let discrepancy = self.rng.range(0, 4) == 0 && sent > 10 && !self.steady;
        let received = if discrepancy {
            sent - self.rng.range(1, sent.min(50) - 1)
        } else {
            sent
        };
        let reference = self.reference("WAYBILL")?;
        let d = self.emit(
            &from,
            Body::TransferDispatch(TransferDispatch {
                from: Place {
                    site: site.clone(),
                    custodian: from.clone(),
                },
                to: Place {
                    site: to_site,
                    custodian: to_unit.clone(),
                },
                items: items.clone(),
                lots: vec![LotQuantity {
                    lot: lot.clone(),
                    quantity: qty(sent)?,
                }],
                reference: Some(reference),
            }),
            &[],
        )?;
        self.emit(
            &to_unit,
            Body::TransferReceipt(TransferReceipt {
                dispatch: d.id,
                items,
                lots: vec![LotQuantity {
                    lot,
                    quantity: qty(received)?,
                }],
                note: discrepancy
                    .then(|| "cases damaged in transit; shortfall under investigation".to_owned()),
            }),
            &[],
        )?;
        Ok(())
    }

    fn stock_check(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, custodian, units)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let short = self.rng.range(0, 9) == 0 && units > 1 && !self.steady;
        let counted = if short { units - 1 } else { units };
        self.emit(
            &cast.admin,
            Body::StockCheck(StockCheck {
                site,
                custodian,
                lots: vec![LotCount {
                    lot,
                    booked: qty(units)?,
                    counted: qty(counted)?,
                }],
                items: vec![],
                scope: Some(crate::model::CountScope::Sample),
                blind: Some(true),
                counters: vec![cast.inspector.clone(), cast.officer.clone()],
            }),
            &[],
        )?;
        Ok(())
    }

    fn theft(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, custodian, units)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let stolen = self.rng.range(1, units.min(20));
        let reference = self.reference("POLICE")?;
        self.emit(
            &custodian,
            Body::LossReport(LossReport {
                loss: crate::event::LossKind::Stolen,
                site,
                custodian: custodian.clone(),
                discrepancy: None,
                items: vec![],
                lots: vec![LotQuantity {
                    lot,
                    quantity: qty(stolen)?,
                }],
                reference: Some(reference),
            }),
            &[],
        )?;
        Ok(())
    }

    fn split(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, custodian, units)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        if units < 2 {
            return self.register_lot(cast);
        }
        self.next_lot += 1;
        let id: LotId = format!("lot:split-{:07}", self.next_lot).parse()?;
        let part = self.rng.range(1, units / 2);
        self.emit(
            &custodian,
            Body::LotSplit(LotSplit {
                lot,
                site,
                custodian: custodian.clone(),
                into: vec![SplitPart {
                    id: id.clone(),
                    quantity: qty(part)?,
                }],
            }),
            &[],
        )?;
        self.lots.push(id);
        Ok(())
    }

    fn status(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, ..)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let suspended = self
            .state
            .lot(&lot)
            .is_some_and(|l| l.status.condition == Condition::Suspended);
        if suspended {
            // Only the technical authority lifts a suspension: by an inspection.
            return self.inspect(cast);
        }
        let condition = if self.rng.range(0, 1) == 0 {
            Condition::Suspended
        } else {
            Condition::Serviceable
        };
        self.emit(
            &cast.admin,
            Body::StatusChange(StatusChange {
                items: vec![],
                lots: vec![lot],
                status: None,
                condition: Some(condition),
                disposition: None,
                reason: "periodic inspection (IATG 03.20)".into(),
            }),
            &[],
        )?;
        Ok(())
    }

    /// A destruction campaign (format version 2's rules): the part of a lot to destroy is split
    /// off into its own lot (unless the whole lot goes), declared surplus or selected for
    /// destruction with the rifles that go with it, sent to the range, authorised there by
    /// the ministry for a month, and destroyed by the demilitarisation team in front of two
    /// witnesses from other agencies, who co-sign.
    fn destruction(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, custodian, units)) = self.pick_lot(cast) else {
            return self.register_lot(cast);
        };
        let amount = self.rng.range(1, units);
        let items = self.pick_items(&site, &custodian, 3);
        let lot = if amount < units {
            self.next_lot += 1;
            let part: LotId = format!("lot:demil-{:07}", self.next_lot).parse()?;
            self.emit(
                &custodian,
                Body::LotSplit(LotSplit {
                    lot,
                    site: site.clone(),
                    custodian: custodian.clone(),
                    into: vec![SplitPart {
                        id: part.clone(),
                        quantity: qty(amount)?,
                    }],
                }),
                &[],
            )?;
            part
        } else {
            lot
        };
        let disposition = if self.rng.range(0, 1) == 0 {
            Disposition::Surplus
        } else {
            Disposition::PendingDestruction
        };
        self.emit(
            &cast.admin,
            Body::StatusChange(StatusChange {
                items: items.clone(),
                lots: vec![lot.clone()],
                status: None,
                condition: None,
                disposition: Some(disposition),
                reason: "board of survey: obsolete, surplus to requirements (MOSAIC 05.50)".into(),
            }),
            &[],
        )?;
        let lots = vec![LotQuantity {
            lot,
            quantity: qty(amount)?,
        }];
        let waybill = self.reference("WAYBILL")?;
        let d = self.emit(
            &custodian,
            Body::TransferDispatch(TransferDispatch {
                from: Place {
                    site,
                    custodian: custodian.clone(),
                },
                to: Place {
                    site: cast.range.clone(),
                    custodian: cast.demil.clone(),
                },
                items: items.clone(),
                lots: lots.clone(),
                reference: Some(waybill),
            }),
            &[],
        )?;
        self.emit(
            &cast.demil,
            Body::TransferReceipt(TransferReceipt {
                dispatch: d.id,
                items: items.clone(),
                lots: lots.clone(),
                note: None,
            }),
            &[],
        )?;
        let order = self.reference("ORDER")?;
        let secs = self.clock();
        let expires_at = Timestamp::from_unix_seconds(secs + AUTHORISATION_VALID_SECONDS)
            .map_err(|e| SynthError::Value(e.to_string()))?;
        let auth = self.emit(
            &cast.admin,
            Body::DestructionAuthorisation(DestructionAuthorisation {
                reference: order,
                items: items.clone(),
                lots: lots.clone(),
                methods: vec!["cutting_and_melting".into(), "open_detonation".into()],
                steps: vec![
                    DestructionMethod::Cutting,
                    DestructionMethod::Melting,
                    DestructionMethod::OpenDetonation,
                ],
                site: Some(cast.range.clone()),
                expires_at: Some(expires_at),
            }),
            &[],
        )?;
        let certificate = self.reference("CERT")?;
        let (method, steps) = if items.is_empty() {
            ("open_detonation", vec![DestructionMethod::OpenDetonation])
        } else {
            (
                "cutting_and_melting",
                vec![DestructionMethod::Cutting, DestructionMethod::Melting],
            )
        };
        self.emit(
            &cast.demil,
            Body::Destruction(Destruction {
                authorisation: auth.id,
                site: cast.range.clone(),
                custodian: cast.demil.clone(),
                method: method.into(),
                steps,
                certificate,
                items,
                lots,
                witnesses: vec![
                    Witness {
                        actor: cast.inspector.clone(),
                        agency: cast.ag.clone(),
                    },
                    Witness {
                        actor: cast.officer.clone(),
                        agency: cast.police.clone(),
                    },
                ],
            }),
            &[&cast.inspector, &cast.officer],
        )?;
        Ok(())
    }

    fn step(&mut self) -> Result<(), SynthError> {
        if self.steady {
            let cast = match self.cast.take() {
                Some(cast) => cast,
                None => self.steady_setup()?,
            };
            let result = self.steady_step(&cast);
            self.cast = Some(cast);
            return result;
        }
        let Some(cast) = self.cast.take() else {
            let cast = self.setup()?;
            // Seed the stockpile so that every kind appears early, even in a short run.
            for _ in 0..SYNTH_DEPOTS {
                self.register_lot(&cast)?;
            }
            self.register_items(&cast)?;
            self.transfer(&cast)?;
            self.stock_check(&cast)?;
            self.theft(&cast)?;
            self.destruction(&cast)?;
            self.export(&cast)?;
            self.trace(&cast)?;
            self.inspect(&cast)?;
            self.board(&cast)?;
            self.armoury(&cast)?;
            self.armoury(&cast)?;
            self.import(&cast)?;
            self.seize(&cast)?;
            self.restore_serial(&cast)?;
            self.forfeit(&cast)?;
            self.deactivate(&cast)?;
            self.cast = Some(cast);
            return Ok(());
        };
        match self.scheduled(&cast) {
            Ok(false) => {}
            done => {
                self.cast = Some(cast);
                return done.map(|_| ());
            }
        }
        let roll = self.rng.range(0, 99);
        let result = match roll {
            0..=16 => self.register_lot(&cast),
            17 => self.import(&cast),
            18..=24 => self.register_items(&cast),
            25 => self.seize(&cast),
            26..=47 => self.transfer(&cast),
            48..=51 => self.armoury(&cast),
            52 => self.forfeit(&cast),
            53..=55 => self.export(&cast),
            56..=65 => self.stock_check(&cast),
            66..=68 => self.theft(&cast),
            69 => self.board(&cast),
            70..=80 => self.destruction(&cast),
            81 => self.restore_serial(&cast),
            82..=88 => self.split(&cast),
            89 => self.deactivate(&cast),
            90..=93 => self.status(&cast),
            94..=97 => self.inspect(&cast),
            _ => self.trace(&cast),
        };
        self.cast = Some(cast);
        result
    }
}

impl Iterator for Synth {
    type Item = Result<SignedEvent, SynthError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_event())
    }
}

/// The first `count` events of the synthetic ledger for `seed`.
pub fn events(seed: u64, count: usize) -> Result<Vec<SignedEvent>, SynthError> {
    Synth::new(seed).take(count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synth_is_deterministic_and_valid() {
        let a = events(7, 400).unwrap();
        let b = events(7, 400).unwrap();
        assert_eq!(a, b);
        let mut kinds = std::collections::BTreeSet::new();
        let mut ledger = crate::Ledger::in_memory(crate::Options::new()).unwrap();
        for e in &a {
            kinds.insert(e.kind());
        }
        ledger.append(&a).unwrap();
        assert!(ledger.verify().unwrap().ok);
        for k in [
            "register_lot",
            "register_items",
            "transfer_dispatch",
            "transfer_receipt",
            "stock_check",
            "loss_report",
            "destruction_authorisation",
            "destruction",
            "lot_split",
            "status_change",
            "trace_request",
            "trace_response",
            "export_dispatch",
            "export_delivery",
            "inspection",
            "board_of_inquiry",
            "weapon_issue",
            "weapon_return",
            "expenditure",
            "expenditure_return",
            "seizure",
            "judicial_order",
            "marking",
            "deactivation",
        ] {
            assert!(kinds.contains(k), "missing {k}");
        }
        assert_ne!(events(8, 50).unwrap(), a[..50].to_vec());
    }

    #[test]
    fn a_start_date_moves_everything_the_generator_dates() {
        let day = |d: &str| Date::parse(d).unwrap();
        let take = |mut s: Synth, n: usize| -> Vec<SignedEvent> {
            (0..n).map(|_| s.next_event().unwrap()).collect()
        };
        // The default start is 2026-01-01: `new` is `with_start` on that day.
        let default = SYNTH_EVENTS_PER_DAY_DEFAULT;
        assert_eq!(
            take(Synth::new(7), 300),
            take(
                Synth::with_start(7, default, &day("2026-01-01")).unwrap(),
                300
            )
        );
        let early = take(
            Synth::with_start(7, default, &day("2015-01-01")).unwrap(),
            600,
        );
        assert_eq!(early[0].event().at.as_str(), "2015-01-01T07:00:00Z");
        let mut references = 0;
        let mut made = std::collections::BTreeSet::new();
        for e in &early {
            let at = e.event().at.as_str();
            assert!(at.starts_with("2015-"), "dated in the start's year: {at}");
            let json = e.to_json();
            assert!(!json.contains("-2026-"), "no reference of 2026: {json}");
            references += json.matches("-2015-0").count();
            if let crate::event::Body::RegisterLot(r) = &e.event().body {
                let year: i64 = r.lot.manufactured.as_ref().unwrap().as_str()[..4]
                    .parse()
                    .unwrap();
                made.insert(year);
            }
        }
        assert!(references > 0, "documents numbered in 2015");
        let (first, last) = (*made.first().unwrap(), *made.last().unwrap());
        assert!(
            (1969..=2008).contains(&first) && (1969..=2008).contains(&last) && first < last,
            "lots made in the 46 to 7 years before the start: {made:?}"
        );
        let mut ledger = crate::Ledger::in_memory(crate::Options::new()).unwrap();
        ledger.append(&early).unwrap();
        assert!(ledger.verify().unwrap().ok);
        // A month is not a first day.
        assert!(Synth::with_start(7, default, &day("2015-01")).is_err());
        // Nothing is registered before it is made: the earliest start is the year after the
        // rifles' marked year of manufacture.
        assert!(matches!(
            Synth::with_start(7, default, &day("1987-12-31")),
            Err(SynthError::Value(_))
        ));
        let first = take(
            Synth::with_start(7, default, &day("1988-01-01")).unwrap(),
            600,
        );
        let mut ledger = crate::Ledger::in_memory(crate::Options::new()).unwrap();
        ledger.append(&first).unwrap();
    }
}
