//! The synthetic stockpile's calendar: events fall on simulated days at times of day an
//! administration works (from 07:00, the random business of the day spread over the working
//! hours, the armoury's returns at 18:30), not a fixed step apart, and a schedule runs beside
//! the random mix: every day the armoury of the first depot issues rifles to its soldier in the
//! morning and takes them back in the evening; every month its unit fires rounds in training
//! and the technical authority inspects a lot (surveillance that now and then suspends one,
//! and clears it at the next inspection); every quarter each depot's holding is fully counted
//! (the first working days of the quarter, one depot a day), now and then one round short, and
//! a board of inquiry closes that discrepancy a week later. Kept apart from `synth.rs` to ease
//! merging; a child module of it, so it sees the generator's fields.

use std::collections::BTreeMap;

use super::tracing::DAY_SECONDS;
use super::{Cast, Synth, SynthError, qty};
use crate::event::{Body, ItemCount, LotCount, Place, StockCheck, WeaponIssue, WeaponReturn};
use crate::ledger::Stock;
use crate::model::{ActorId, CountScope, EventId, ItemId, Timestamp};

/// Random events per simulated day by default: a national stockpile's ministry, depots and
/// armouries together (one every nine minutes of the working day).
pub const SYNTH_EVENTS_PER_DAY_DEFAULT: u32 = 80;
/// The working day starts at 07:00, in seconds after midnight.
const DAY_START_SECONDS: i64 = 7 * 3_600;
/// The random business of the day runs from 08:00 ...
const BUSINESS_START_SECONDS: i64 = 8 * 3_600;
/// ... to 18:00.
const BUSINESS_SECONDS: i64 = 10 * 3_600;
/// The armoury takes issued weapons back at 18:30.
const EVENING_SECONDS: i64 = 18 * 3_600 + 1_800;
/// Minimum seconds between two events (one clerk's pace), and between scheduled events.
const PACE_SECONDS: i64 = 120;
/// Hours an armoury issue lasts, as the issue says.
const ISSUE_SECONDS: i64 = 12 * 3_600;
/// Days of a quarter, near enough for a schedule (a quarter starts every 91 days).
const QUARTER_DAYS: i64 = 91;
/// Days of a month, near enough for a schedule (a month starts every 30 days).
const MONTH_DAYS: i64 = 30;
/// Days after a short count before its board of inquiry sits.
const BOARD_AFTER_DAYS: i64 = 7;
/// Most stocks one quarterly count lists. A full count lists every stock of the holding in one
/// event, and an event holds at most `EVENT_BYTES_MAX` (1 MiB) of JSON, about 10,000 listed
/// items; a holding larger than this is counted by a sample of this many stocks instead (a
/// depot counts such a holding over several count sheets, which the format cannot yet tie
/// into one full count).
const COUNT_STOCKS_MAX: usize = 4_000;

/// The generator's clock and schedule.
#[derive(Debug)]
pub(super) struct Calendar {
    /// The first simulated day's midnight (UTC), in Unix seconds.
    epoch: i64,
    /// Random events a day holds.
    per_day: u32,
    /// Days since the generator's epoch.
    day: i64,
    /// Random events emitted today.
    business: u32,
    /// The time of the last event emitted (events are strictly ordered in time).
    last: Option<i64>,
    /// Whether the day's morning schedule has run.
    opened: bool,
    /// The armoury's issue of the day, returned in the evening: (issue, custodian).
    out: Option<(EventId, ActorId)>,
    /// The month (days / 30) of the last training and of the last scheduled inspection.
    trained: Option<i64>,
    inspected: Option<i64>,
    /// The quarter each depot was last fully counted in.
    counted: BTreeMap<usize, i64>,
    /// The day a board of inquiry is due (a short full count).
    board_on: Option<i64>,
}

impl Calendar {
    pub(super) fn new(per_day: u32, epoch: i64) -> Calendar {
        Calendar {
            epoch,
            per_day: per_day.max(1),
            day: 0,
            business: 0,
            last: None,
            opened: false,
            out: None,
            trained: None,
            inspected: None,
            counted: BTreeMap::new(),
            board_on: None,
        }
    }

    fn midnight(&self) -> i64 {
        self.epoch + self.day * DAY_SECONDS
    }

    /// The time of the next event: in the morning before the day's business, spread over
    /// the business hours, or in the evening once the day is done, and never earlier than
    /// `PACE_SECONDS` after the last one.
    pub(super) fn next_time(&self) -> i64 {
        let planned = if !self.opened {
            self.midnight() + DAY_START_SECONDS
        } else if self.business >= self.per_day {
            self.midnight() + EVENING_SECONDS
        } else {
            let step = BUSINESS_SECONDS / i64::from(self.per_day);
            self.midnight() + BUSINESS_START_SECONDS + step * i64::from(self.business)
        };
        match self.last {
            Some(last) => planned.max(last + PACE_SECONDS),
            None => planned,
        }
    }

    /// Records an event emitted at `at`.
    pub(super) fn emitted(&mut self, at: i64) {
        self.last = Some(at);
    }
}

impl Synth {
    /// The time of the next event the generator emits.
    pub(super) fn clock(&self) -> i64 {
        self.calendar.next_time()
    }

    /// Runs the schedule: the morning's work when a day begins, the evening's when its
    /// business is done (then the next day). Returns whether it did anything (or moved the
    /// day on); when not, the caller draws a random event of the day's business.
    pub(super) fn scheduled(&mut self, cast: &Cast) -> Result<bool, SynthError> {
        if !self.calendar.opened {
            self.calendar.opened = true;
            self.morning(cast)?;
            return Ok(true);
        }
        if self.calendar.business >= self.calendar.per_day {
            self.evening()?;
            self.calendar.day += 1;
            self.calendar.business = 0;
            self.calendar.opened = false;
            return Ok(true);
        }
        self.calendar.business += 1;
        Ok(false)
    }

    fn morning(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let day = self.calendar.day;
        let month = day / MONTH_DAYS;
        let quarter = day / QUARTER_DAYS;
        self.issue_for_the_day_at_the_armoury(cast)?;
        if self.calendar.trained != Some(month) {
            self.calendar.trained = Some(month);
            self.training(cast)?;
        }
        // Mid-month: the technical authority's surveillance inspection.
        if day % MONTH_DAYS == MONTH_DAYS / 2 && self.calendar.inspected != Some(month) {
            self.calendar.inspected = Some(month);
            self.inspect(cast)?;
        }
        // Quarterly full counts: one depot a day from the first day of the quarter (a depot
        // whose unit holds nothing there yet stays due).
        let due: Vec<usize> = (0..cast.depots.len())
            .filter(|d| self.calendar.counted.get(d) != Some(&quarter))
            .collect();
        for depot in due {
            if self.full_count(cast, depot)? {
                self.calendar.counted.insert(depot, quarter);
                break;
            }
        }
        if self.calendar.board_on.is_some_and(|d| d <= day) {
            self.calendar.board_on = None;
            self.board(cast)?;
        }
        Ok(())
    }

    fn evening(&mut self) -> Result<(), SynthError> {
        let Some((issue, unit)) = self.calendar.out.take() else {
            return Ok(());
        };
        // What is still out on the morning's issue (nothing else moves a weapon issued to a
        // person, but ask the ledger rather than assume).
        let items: Vec<ItemId> = self
            .state
            .lifecycle
            .issues
            .get(&issue)
            .map(|open| open.items.iter().cloned().collect())
            .unwrap_or_default();
        if items.is_empty() {
            return Ok(());
        }
        self.emit(
            &unit,
            Body::WeaponReturn(WeaponReturn {
                issue,
                items,
                note: Some("returned at the end of the day".into()),
            }),
            &[],
        )?;
        Ok(())
    }

    /// The armoury of the first depot issues two usable rifles to its soldier for the day.
    fn issue_for_the_day_at_the_armoury(&mut self, cast: &Cast) -> Result<(), SynthError> {
        let Some((site, unit)) = cast.depots.first().cloned() else {
            return Ok(());
        };
        let items: Vec<ItemId> = self
            .pick_items(&site, &unit, 2)
            .into_iter()
            .filter(|i| {
                self.state
                    .item(i)
                    .is_some_and(|s| super::armoury::usable(s.status, s.hold.is_some()))
            })
            .collect();
        if items.is_empty() {
            return Ok(());
        }
        let soldier = self.soldier(cast, 0)?;
        let due = Timestamp::from_unix_seconds(self.clock() + ISSUE_SECONDS)
            .map_err(|e| SynthError::Value(e.to_string()))?;
        let reference = Some(self.reference("ARMOURY")?);
        let issue = self.emit(
            &unit,
            Body::WeaponIssue(WeaponIssue {
                from: Place {
                    site,
                    custodian: unit.clone(),
                },
                to: soldier,
                items,
                due,
                reference,
            }),
            &[],
        )?;
        self.calendar.out = Some((issue.id(), unit));
        Ok(())
    }

    /// A full, blind count of everything a depot's unit holds there (a sample when it holds
    /// more than `COUNT_STOCKS_MAX` stocks), by two counters; now and then one round short, which a board of inquiry closes a week later. Returns whether the
    /// unit held anything there to count.
    fn full_count(&mut self, cast: &Cast, depot: usize) -> Result<bool, SynthError> {
        let Some((site, unit)) = cast.depots.get(depot).cloned() else {
            return Ok(false);
        };
        let mut lots = Vec::new();
        let mut items = Vec::new();
        for (custodian, stock, units) in self.state.holdings_at(&site) {
            if *custodian != unit || units <= 0 {
                continue;
            }
            match stock {
                Stock::Lot(lot) => {
                    let booked = u64::try_from(units).unwrap_or(0);
                    lots.push((lot.clone(), booked));
                }
                Stock::Item(item) => items.push(item.clone()),
            }
        }
        if lots.is_empty() && items.is_empty() {
            return Ok(false);
        }
        let scope = if lots.len() + items.len() > COUNT_STOCKS_MAX {
            lots.truncate(COUNT_STOCKS_MAX);
            items.truncate(COUNT_STOCKS_MAX - lots.len());
            CountScope::Sample
        } else {
            CountScope::Full
        };
        let short = self.calendar.board_on.is_none()
            && self.rng.range(0, 2) == 0
            && lots.iter().any(|(_, n)| *n > 1);
        let mut shorted = false;
        let mut counts = Vec::with_capacity(lots.len());
        for (lot, booked) in lots {
            let counted = if short && !shorted && booked > 1 {
                shorted = true;
                booked - 1
            } else {
                booked
            };
            counts.push(LotCount {
                lot,
                booked: qty(booked)?,
                counted: qty(counted)?,
            });
        }
        let items = items
            .into_iter()
            .map(|item| {
                let observed_serial = self
                    .state
                    .item(&item)
                    .and_then(|s| s.item.marking.serial.clone());
                ItemCount {
                    item,
                    present: true,
                    observed_serial,
                }
            })
            .collect();
        self.emit(
            &cast.admin,
            Body::StockCheck(StockCheck {
                site,
                custodian: unit,
                lots: counts,
                items,
                scope: Some(scope),
                blind: Some(true),
                counters: vec![cast.inspector.clone(), cast.officer.clone()],
            }),
            &[],
        )?;
        if shorted {
            self.calendar.board_on = Some(self.calendar.day + BOARD_AFTER_DAYS);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// 2,000 events of a sparse calendar (6 random events a day, as the demo): strictly increasing times
    /// inside the working day, months of days, a training every month, a daily issue at the
    /// armoury returned the same evening, a full count of every depot every quarter, a
    /// suspension and a board of inquiry; and the ledger takes them all.
    #[test]
    fn the_calendar_keeps_its_schedule() {
        let mut synth = Synth::with_events_per_day(5, 6);
        let events: Vec<_> = (0..2_000).map(|_| synth.next_event().unwrap()).collect();
        let mut last = i64::MIN;
        let mut days = BTreeSet::new();
        let mut training_months = BTreeSet::new();
        let mut issues: BTreeMap<i64, u32> = BTreeMap::new();
        let mut returns: BTreeMap<i64, u32> = BTreeMap::new();
        let mut full: BTreeMap<(i64, String), u32> = BTreeMap::new();
        let (mut boards, mut suspensions) = (0, 0);
        for e in &events {
            let at = e.event().at.unix_seconds();
            assert!(at > last, "times go forward: {}", e.event().at);
            last = at;
            let day = (at - super::super::SYNTH_EPOCH_SECONDS).div_euclid(DAY_SECONDS);
            let second = (at - super::super::SYNTH_EPOCH_SECONDS).rem_euclid(DAY_SECONDS);
            assert!(
                (DAY_START_SECONDS..21 * 3_600).contains(&second),
                "a working hour: {}",
                e.event().at
            );
            days.insert(day);
            match &e.event().body {
                Body::Expenditure(x) if x.purpose == crate::model::ExpenditurePurpose::Training => {
                    training_months.insert(day / MONTH_DAYS);
                }
                Body::WeaponIssue(_) => *issues.entry(day).or_default() += 1,
                Body::WeaponReturn(_) => *returns.entry(day).or_default() += 1,
                Body::StockCheck(c) if c.scope == Some(CountScope::Full) => {
                    *full
                        .entry((day / QUARTER_DAYS, c.site.to_string()))
                        .or_default() += 1;
                }
                Body::BoardOfInquiry(_) => boards += 1,
                Body::Inspection(i)
                    if i.condition_code.condition() == crate::model::Condition::Suspended =>
                {
                    suspensions += 1;
                }
                _ => {}
            }
        }
        let span = days.last().unwrap() - days.first().unwrap() + 1;
        assert!(span > 120, "{span} days");
        let months = span / MONTH_DAYS;
        assert!(
            (0..months).all(|m| training_months.contains(&m)),
            "{training_months:?}"
        );
        // Most days open with an issue that is back by the evening of the same day.
        assert!(
            issues.len() as i64 > span * 3 / 4,
            "{} issue days of {span}",
            issues.len()
        );
        let today = days.last().copied();
        assert!(
            issues
                .keys()
                .filter(|d| Some(**d) != today)
                .all(|d| returns.get(d) >= issues.get(d))
        );
        let quarters = span / QUARTER_DAYS + 1;
        for q in 0..quarters {
            for n in 1..=super::super::SYNTH_DEPOTS {
                assert!(
                    full.contains_key(&(q, format!("depot:{n:02}"))),
                    "quarter {q}, depot {n}: {full:?}"
                );
            }
        }
        assert!(
            boards > 0 && suspensions > 0,
            "{boards} boards, {suspensions} suspensions"
        );
        let mut ledger = crate::Ledger::in_memory(crate::Options::new()).unwrap();
        ledger.append(&events).unwrap();
        assert!(ledger.verify().unwrap().ok);
    }
}
