//! The synthetic stockpile's armoury day (format version 2): a depot's rifles issued to a
//! soldier of its unit for the day and returned, and rounds fired in training by the unit (with
//! the number of personnel and the training order), sometimes with unfired rounds and fired
//! cases turned in afterwards. Only serviceable stock in service and under no hold is issued or
//! fired. Kept apart from `synth.rs` to ease merging; a child module of it, so it sees the
//! generator's fields.

use super::tracing::{DAY_SECONDS, day};
use super::{Cast, Synth, SynthError, qty};
use crate::event::{
    Body, Expenditure, ExpenditureReturn, LotQuantity, Place, WeaponIssue, WeaponReturn,
};
use crate::model::{
    ActorId, ActorKind, Condition, Disposition, ExpenditurePurpose, ItemId, LotId, Residue, SiteId,
    StockStatus, Timestamp, Unit,
};

/// Hours a weapon is issued for.
const ISSUE_HOURS: i64 = 10;
/// Seconds in an hour.
const HOUR_SECONDS: i64 = 3_600;
/// Rounds fired per person in a training session, at most.
const ROUNDS_PER_PERSON_MAX: u64 = 60;

/// Stock that may be issued or fired: serviceable, in service, under no legal hold.
pub(super) fn usable(status: StockStatus, held: bool) -> bool {
    status.condition == Condition::Serviceable
        && status.disposition == Disposition::InService
        && !held
}

impl Synth {
    /// One armoury transaction: an issue of rifles for the day and their return, or a training
    /// expenditure.
    pub(super) fn armoury(&mut self, cast: &Cast) -> Result<(), SynthError> {
        if self.rng.range(0, 2) == 0 {
            self.issue_for_the_day(cast)
        } else {
            self.training(cast)
        }
    }

    fn now(&self) -> i64 {
        self.clock()
    }

    /// The soldier of a depot's unit who draws its weapons (registered on first use).
    pub(super) fn soldier(&mut self, cast: &Cast, depot: usize) -> Result<ActorId, SynthError> {
        let id = format!("person:soldier-{:02}", depot + 1);
        let actor: ActorId = id.parse()?;
        if !self.keys.contains_key(&actor) {
            let unit = cast
                .depots
                .get(depot)
                .map(|(_, u)| u.clone())
                .ok_or_else(|| SynthError::Value(format!("no depot {depot}")))?;
            self.register(&cast.admin, &id, ActorKind::Person, Some(&unit), &[])?;
        }
        Ok(actor)
    }

    /// Usable rifles held at a depot: issued to a soldier of its unit, returned at the end of
    /// the day (the next event, here).
    fn issue_for_the_day(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let depot = self.rng.index(cast.depots.len());
        let Some((site, unit)) = cast.depots.get(depot).cloned() else {
            return Ok(());
        };
        let items: Vec<ItemId> = self
            .pick_items(&site, &unit, 2)
            .into_iter()
            .filter(|i| {
                self.state
                    .item(i)
                    .is_some_and(|s| usable(s.status, s.hold.is_some()))
            })
            .collect();
        if items.is_empty() {
            return self.register_items(cast);
        }
        let soldier = self.soldier(cast, depot)?;
        let due = Timestamp::from_unix_seconds(self.now() + ISSUE_HOURS * HOUR_SECONDS)
            .map_err(|e| SynthError::Value(e.to_string()))?;
        let reference = Some(self.reference("ISSUE")?);
        let issue = self.emit(
            &unit,
            Body::WeaponIssue(WeaponIssue {
                from: Place {
                    site: site.clone(),
                    custodian: unit.clone(),
                },
                to: soldier,
                items: items.clone(),
                due,
                reference,
            }),
            &[],
        )?;
        self.emit(
            &unit,
            Body::WeaponReturn(WeaponReturn {
                issue: issue.id(),
                items,
                note: None,
            }),
            &[],
        )?;
        Ok(())
    }

    /// A usable lot of rounds held at a depot: (lot, site, unit, units held).
    fn rounds_for_training(&mut self, cast: &Cast) -> Option<(LotId, SiteId, ActorId, u64)> {
        let (lot, site, unit, units) = self.pick_lot(cast)?;
        let l = self.state.lot(&lot)?;
        (l.lot.unit == Unit::Round && usable(l.status, l.hold.is_some()))
            .then_some((lot, site, unit, units))
    }

    /// Rounds fired in training by a depot's unit; now and then unfired rounds and fired cases
    /// are turned in afterwards.
    pub(super) fn training(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((lot, site, unit, units)) = self.rounds_for_training(cast) else {
            return self.register_lot(cast);
        };
        let personnel = self.rng.range(4, 30);
        let fired = qty(self
            .rng
            .range(1, (personnel * ROUNDS_PER_PERSON_MAX).min(units)))?;
        let turn_in = self.rng.range(0, 3) == 0;
        let return_by = if turn_in {
            Some(day(self.now() + DAY_SECONDS)?)
        } else {
            None
        };
        let order = self.reference("TRG")?;
        let expenditure = self.emit(
            &unit,
            Body::Expenditure(Expenditure {
                from: Place {
                    site,
                    custodian: unit.clone(),
                },
                purpose: ExpenditurePurpose::Training,
                order,
                range: "unit firing range".into(),
                personnel: Some(personnel),
                lots: vec![LotQuantity {
                    lot: lot.clone(),
                    quantity: fired,
                }],
                return_by,
                note: None,
            }),
            &[],
        )?;
        if turn_in {
            let unfired = self.rng.range(0, fired.get() / 10);
            let cases = fired.get() - unfired;
            let lots = if unfired > 0 {
                vec![LotQuantity {
                    lot: lot.clone(),
                    quantity: qty(unfired)?,
                }]
            } else {
                Vec::new()
            };
            self.emit(
                &unit,
                Body::ExpenditureReturn(ExpenditureReturn {
                    expenditure: expenditure.id(),
                    lots,
                    residue: vec![Residue {
                        lot,
                        cases: Some(cases),
                        links: None,
                    }],
                    note: None,
                }),
                &[],
            )?;
        }
        Ok(())
    }
}
