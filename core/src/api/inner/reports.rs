//! Reports drawn from the events: the Arms Trade Treaty annual report's exports and imports
//! (art. 13.3), and a destruction report. Both read every stored event once, decoded but not
//! replayed (what they need is in the events themselves), and leave out events a correction
//! reversed.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::inner::Inner;
use crate::error::{ErrorKind, Result};
use crate::ledger::{Body, SignedEvent};
use crate::model::{ActorId, AttCategory, Date, EventId, ItemId, SiteId};
use crate::rows::{AttLine, AttReport, DestructionRecord, DestructionReport, DestructionTotal};

/// Earliest and latest year a report is asked for.
const REPORT_YEARS: std::ops::RangeInclusive<u16> = 1900..=9999;

/// `YYYY-MM-DD` of a timestamp or date text.
fn day_of(text: &str) -> &str {
    text.get(..10).unwrap_or(text)
}

/// `YYYY` of a timestamp or date text.
fn year_of(text: &str) -> &str {
    text.get(..4).unwrap_or(text)
}

/// A whole date, or the argument error naming it.
fn whole_day(argument: &str, date: &Date) -> Result<()> {
    if date.day_start_unix().is_some() {
        Ok(())
    } else {
        Err(ErrorKind::InvalidArgument {
            argument: argument.into(),
            value: date.as_str().to_owned(),
            reason: "a whole date `YYYY-MM-DD` is needed".into(),
        }
        .into())
    }
}

/// What the report keeps of a registered item.
struct ItemFacts {
    att_category: Option<AttCategory>,
    item_type: String,
}

/// One contribution to the ATT report: (event, flow is export, category, partner, item type).
type AttEntry = (EventId, bool, Option<AttCategory>, String, String);

/// A line of the ATT report being summed: (flow is export, category, partner) → (items, types).
type AttLines = BTreeMap<(bool, Option<AttCategory>, String), (u64, BTreeSet<String>)>;

impl Inner {
    /// Every stored event, decoded, in append order.
    fn decoded_events(&self, f: &mut dyn FnMut(&SignedEvent) -> Result<()>) -> Result<()> {
        let store = self.store()?;
        crate::store::log::for_each_row(&store.db, 0, u64::MAX, &mut |seq, _, json| {
            let ev = SignedEvent::from_canonical_json(json).map_err(|e| e.at_index(seq))?;
            f(&ev)?;
            Ok(true)
        })
    }

    pub(crate) fn att_report(&self, year: u16) -> Result<AttReport> {
        if !REPORT_YEARS.contains(&year) {
            return Err(ErrorKind::InvalidArgument {
                argument: "year".into(),
                value: year.to_string(),
                reason: format!(
                    "a report year is {} to {}",
                    REPORT_YEARS.start(),
                    REPORT_YEARS.end()
                ),
            }
            .into());
        }
        let wanted = format!("{year:04}");
        let mut items: BTreeMap<ItemId, ItemFacts> = BTreeMap::new();
        // Exports dispatched in the year: dispatch → importing state.
        let mut dispatched: BTreeMap<EventId, String> = BTreeMap::new();
        let mut entries: Vec<AttEntry> = Vec::new();
        let mut reversed: BTreeSet<EventId> = BTreeSet::new();
        self.decoded_events(&mut |ev| {
            let id = ev.id;
            match &ev.event.body {
                Body::RegisterItems(r) => {
                    for item in &r.items {
                        items.insert(
                            item.id.clone(),
                            ItemFacts {
                                att_category: item.att_category,
                                item_type: item.item_type.clone(),
                            },
                        );
                    }
                    // Imports count in the year the stock entered the state.
                    if let Some(record) = &r.origin.import
                        && year_of(record.date.as_str()) == wanted
                    {
                        for item in &r.items {
                            entries.push((
                                id,
                                false,
                                item.att_category,
                                record.exporting_state.clone(),
                                item.item_type.clone(),
                            ));
                        }
                    }
                }
                Body::ExportDispatch(d) if year_of(ev.event.at.as_str()) == wanted => {
                    dispatched.insert(id, d.importing_state.clone());
                }
                // Exports count in the year they were dispatched, for what the importing
                // state verified it received.
                Body::ExportDelivery(d) => {
                    if let Some(state) = dispatched.get(&d.dispatch) {
                        for item in &d.items {
                            let (category, kind) = items
                                .get(item)
                                .map(|f| (f.att_category, f.item_type.clone()))
                                .unwrap_or_default();
                            entries.push((id, true, category, state.clone(), kind));
                        }
                    }
                }
                Body::Correction(c) => {
                    reversed.insert(c.reverses);
                }
                _ => {}
            }
            Ok(())
        })?;
        // (export, category, partner) → (items, types)
        let mut lines = AttLines::new();
        for (event, export, category, partner, kind) in entries {
            if reversed.contains(&event) {
                continue;
            }
            let line = lines.entry((export, category, partner)).or_default();
            line.0 += 1;
            if !kind.is_empty() {
                line.1.insert(kind);
            }
        }
        let mut report = AttReport {
            year,
            exports: Vec::new(),
            imports: Vec::new(),
        };
        for ((export, category, partner_state), (quantity, types)) in lines {
            let line = AttLine {
                category,
                partner_state,
                quantity,
                types: types.into_iter().collect(),
            };
            if export {
                report.exports.push(line);
            } else {
                report.imports.push(line);
            }
        }
        Ok(report)
    }

    pub(crate) fn destruction_report(&self, from: &Date, to: &Date) -> Result<DestructionReport> {
        whole_day("from", from)?;
        whole_day("to", to)?;
        if to.as_str() < from.as_str() {
            return Err(ErrorKind::InvalidArgument {
                argument: "to".into(),
                value: to.as_str().to_owned(),
                reason: format!("the period ends before it starts ({})", from.as_str()),
            }
            .into());
        }
        // Authorisation → (reference, authoriser).
        let mut authorisations: BTreeMap<EventId, (String, ActorId)> = BTreeMap::new();
        let mut reversed: BTreeSet<EventId> = BTreeSet::new();
        let mut destructions = Vec::new();
        self.decoded_events(&mut |ev| {
            match &ev.event.body {
                Body::DestructionAuthorisation(a) => {
                    authorisations.insert(ev.id, (a.reference.clone(), ev.event.actor.clone()));
                }
                Body::Destruction(d) => {
                    let day = day_of(ev.event.at.as_str());
                    if day >= from.as_str() && day <= to.as_str() {
                        let (reference, authorised_by) = authorisations
                            .get(&d.authorisation)
                            .cloned()
                            .ok_or_else(|| {
                                crate::error::Error::new(ErrorKind::Damaged {
                                    what: format!(
                                        "destruction {} names authorisation {}, which is not in the log",
                                        ev.id, d.authorisation
                                    ),
                                })
                            })?;
                        destructions.push(DestructionRecord {
                            event: ev.id,
                            at: ev.event.at.clone(),
                            recorded_by: ev.event.actor.clone(),
                            site: d.site.clone(),
                            custodian: d.custodian.clone(),
                            method: d.method.clone(),
                            steps: d.steps.clone(),
                            certificate: d.certificate.clone(),
                            authorisation: d.authorisation,
                            authorisation_reference: reference,
                            authorised_by,
                            witnesses: d.witnesses.clone(),
                            items: d.items.clone(),
                            lots: d.lots.clone(),
                        });
                    }
                }
                Body::Correction(c) => {
                    reversed.insert(c.reverses);
                }
                _ => {}
            }
            Ok(())
        })?;
        destructions.retain(|d: &DestructionRecord| !reversed.contains(&d.event));
        // (month, site, method) → (destructions, items, lot units); the method is its steps
        // from the vocabulary (version 2), else its free text (version 1).
        let mut totals: BTreeMap<(String, SiteId, String), (u64, u64, u64)> = BTreeMap::new();
        for d in &destructions {
            let month = d.at.as_str().get(..7).unwrap_or_default().to_owned();
            let method = if d.steps.is_empty() {
                d.method.clone()
            } else {
                d.steps
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            };
            let t = totals.entry((month, d.site.clone(), method)).or_default();
            t.0 += 1;
            t.1 += d.items.len() as u64;
            t.2 += d.lots.iter().map(|l| l.quantity.get()).sum::<u64>();
        }
        Ok(DestructionReport {
            from: from.clone(),
            to: to.clone(),
            destructions,
            totals: totals
                .into_iter()
                .map(
                    |((month, site, method), (events, items, lot_units))| DestructionTotal {
                        month,
                        site,
                        method,
                        destructions: events,
                        items,
                        lot_units,
                    },
                )
                .collect(),
        })
    }
}
