//! The generator's operations for legal holds and deactivation (format version 2): a seizure
//! of an item or a whole lot where it is held, a judicial order deciding about what a seizure
//! holds, a deactivation of an item. Kept
//! apart from `ops.rs` to ease merging; a child module of it, so it sees the history's fields.

use super::{AG, History, HistoryError, INSPECTOR, POLICE, day, pick};
use crate::event::{Deactivation, JudicialOrder, Seizure};
use crate::model::{ActorId, JudicialDecision};
use crate::{Body, EventId};

/// A step's event: (recording actor, body, co-signers).
type Built = Option<(ActorId, Body, Vec<ActorId>)>;

impl History {
    /// A seizure of an item (when `item` picks one) or of a lot, by its holder.
    pub(super) fn build_seizure(&self, item: Option<u8>, lot: u8) -> Result<Built, HistoryError> {
        let (items, lots, h) = match item {
            Some(sel) => {
                let Some(id) = self.item_at(sel, None)? else {
                    return Ok(None);
                };
                let h = self.place_of_items(std::slice::from_ref(&id))?;
                (vec![id], Vec::new(), h)
            }
            None => {
                let Some((id, h)) = self.lot_held(lot)? else {
                    return Ok(None);
                };
                (Vec::new(), vec![id], h)
            }
        };
        let body = Body::Seizure(Seizure {
            site: h.site.clone(),
            custodian: h.custodian.clone(),
            items,
            lots,
            case: format!("CASE-{}", self.journal.len()),
            seized_by: POLICE.parse()?,
            seized_on: day(self.now)?,
            seized_at: "a checkpoint".into(),
            held_for: AG.parse()?,
            reference: None,
        });
        Ok(Some((h.custodian, body, vec![])))
    }

    /// A deactivation of an item by its holder, verified by the inspector.
    pub(super) fn build_deactivation(&self, item: u8) -> Result<Built, HistoryError> {
        let Some(id) = self.item_at(item, None)? else {
            return Ok(None);
        };
        let h = self.place_of_items(std::slice::from_ref(&id))?;
        let body = Body::Deactivation(Deactivation {
            site: h.site.clone(),
            custodian: h.custodian.clone(),
            items: vec![id],
            method: "barrel plugged, bolt face removed".into(),
            standard: None,
            verified_by: INSPECTOR.parse()?,
            verified_on: day(self.now)?,
            certificate: "DEACT-1".into(),
            mark: None,
        });
        Ok(Some((h.custodian, body, vec![])))
    }

    /// A judicial order about everything a seizure held, recorded by its holder.
    pub(super) fn build_judicial_order(
        &self,
        seizure: u8,
        decision: u8,
    ) -> Result<Built, HistoryError> {
        let Some((id, s)) = pick(&self.seizures, seizure) else {
            return Ok(None);
        };
        let decision = match decision % 4 {
            0 => JudicialDecision::Release,
            1 => JudicialDecision::Forfeiture,
            2 => JudicialDecision::Destruction,
            _ => JudicialDecision::ReturnToOwner,
        };
        let body = Body::JudicialOrder(JudicialOrder {
            seizure: id,
            decision,
            court: "Juzgado 3".into(),
            order: "ORD-1".into(),
            ordered_on: day(self.now)?,
            items: s.items.clone(),
            lots: s.lots.clone(),
            returned_to: (decision == JudicialDecision::ReturnToOwner)
                .then(|| "the lawful owner".to_owned()),
        });
        Ok(Some((s.custodian, body, vec![])))
    }
}

/// The seizures accepted so far.
pub(super) type Seizures = Vec<(EventId, Seizure)>;
