//! `marking` (format version 2): a mark applied to items already on the books — an import
//! mark, a state (ownership) mark, a serial number restored by a forensic laboratory, the mark
//! on confiscated arms kept for official use (CIFTA art. VI), or a unique mark on a weapon
//! whose marks were missing or illegible when it was recorded (ITI: such weapons are recorded,
//! then marked or destroyed). The registration's marking stays as it was recorded; each mark
//! is added to the item's marks, with where it is on the weapon, who applied it and when.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::ledger::kinds::Kind;
use crate::ledger::plan::{Plan, field, held};
use crate::ledger::state::AppliedMark;
use crate::model::{ActorId, Date, Mark, MarkKind, SiteId};

/// Items at most one `marking` event marks.
pub const MARKING_ITEMS_MAX: usize = 1000;

/// Marks applied to items held at one place.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct MarkItems {
    /// Where the items are.
    pub site: SiteId,
    /// Their holder.
    pub custodian: ActorId,
    /// Who applied the marks (an armourer's unit, a forensic laboratory), a registered actor.
    pub marked_by: ActorId,
    /// The day the marks were applied, `YYYY-MM-DD`, not after the event.
    pub marked_on: Date,
    /// One mark per item.
    pub marks: Vec<Mark>,
    /// Order, forensic report or case number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl Kind for MarkItems {
    fn plan(&self, p: &mut Plan<'_>) -> Result<()> {
        p.new_kind(Self::NAME)?;
        p.site("/site", &self.site)?;
        p.custodian("/custodian", &self.custodian)?;
        if !p.state.actors.contains_key(&self.marked_by) {
            return Err(p.unknown("/marked_by", &self.marked_by));
        }
        let day = p.day("/marked_on", &self.marked_on)?;
        if day > p.at.unix_seconds() {
            return Err(p.err(
                "/marked_on",
                ErrorKind::FieldInvalid {
                    value: self.marked_on.as_str().to_owned(),
                    reason: format!("the marks are applied after the event (`{}`)", p.at),
                },
            ));
        }
        if self.marks.is_empty() || self.marks.len() > MARKING_ITEMS_MAX {
            return Err(p.err(
                "/marks",
                ErrorKind::FieldInvalid {
                    value: self.marks.len().to_string(),
                    reason: format!("a marking event marks 1 to {MARKING_ITEMS_MAX} items"),
                },
            ));
        }
        let here = held(&self.site, &self.custodian);
        let mut seen = BTreeSet::new();
        for (i, mark) in self.marks.iter().enumerate() {
            let f = field("/marks", i, "/item");
            if !seen.insert(&mark.item) {
                return Err(p.err(
                    f,
                    ErrorKind::Repeated {
                        value: mark.item.to_string(),
                    },
                ));
            }
            let item = p.item(f, &mark.item)?;
            if p.item_location(&mark.item, &item.location) != here {
                return Err(p.err(
                    f,
                    ErrorKind::NotBookedHere {
                        item: mark.item.to_string(),
                        booked_at: item.location.to_string(),
                        counted_at: here.to_string(),
                    },
                ));
            }
            let base = field("/marks", i, "/elements");
            let e = &mark.elements;
            let empty = e.manufacturer.is_none()
                && e.country_of_manufacture.is_none()
                && e.serial.is_none()
                && e.year.is_none()
                && e.model.is_none()
                && e.calibre.is_none()
                && e.import.is_none();
            if empty {
                return Err(p.err(
                    base,
                    ErrorKind::EmptyMark {
                        item: mark.item.to_string(),
                    },
                ));
            }
            p.marking_countries(base, e)?;
            // The element a mark of its kind exists to carry.
            let needed = match mark.kind {
                MarkKind::Import => e.import.is_some().then_some(()).ok_or("import"),
                MarkKind::RestoredSerial => e.serial.is_some().then_some(()).ok_or("serial"),
                MarkKind::State | MarkKind::OfficialUse | MarkKind::Unique => Ok(()),
            };
            if let Err(member) = needed {
                return Err(p.err(
                    format!("{base}/{member}"),
                    ErrorKind::RecordMissing {
                        record: format!("`{member}`"),
                        why: format!("a mark of kind `{}` carries it", mark.kind.as_str()),
                    },
                ));
            }
            p.fx.marks.push(AppliedMark {
                event: p.id,
                item: mark.item.clone(),
                kind: mark.kind,
                elements: mark.elements.clone(),
                position: mark.position.clone(),
                method: mark.method.clone(),
                marked_by: self.marked_by.clone(),
                marked_on: self.marked_on.clone(),
            });
        }
        p.focus_site = Some(self.site.clone());
        p.fx.correctable = true;
        Ok(())
    }
}

#[cfg(any(test, feature = "testkit"))]
pub(super) fn example() -> MarkItems {
    use crate::ledger::kinds::ex::{date, id};
    use crate::model::{ImportMarking, Marking as Elements};
    MarkItems {
        site: id("lab:ballistics"),
        custodian: id("unit:forensics"),
        marked_by: id("person:examiner-4"),
        marked_on: date("2026-05-28"),
        marks: vec![Mark {
            item: id("item:seized-2026-0117-3"),
            kind: MarkKind::RestoredSerial,
            elements: Elements {
                manufacturer: Some("Norinco".into()),
                country_of_manufacture: Some("CN".into()),
                serial: Some("56-1991-004471".into()),
                year: Some(1991),
                model: Some("Type 56".into()),
                calibre: Some("7.62x39mm".into()),
                import: Some(ImportMarking {
                    country: Some("SV".into()),
                    year: Some(1994),
                    importer: Some("Ministerio de la Defensa Nacional".into()),
                }),
            },
            position: "left side of the receiver, under the rear sight".into(),
            method: Some("chemical etching (restoration), then stamped".into()),
        }],
        reference: Some("LAB-2026-0331".into()),
    }
}
