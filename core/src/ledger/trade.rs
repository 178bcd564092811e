//! The checks that the records of transfers between states share (format version 2): states
//! are ISO 3166-1 alpha-2 codes of the official list, licences are valid on the event's date
//! and issued by the state they belong to, and members added by version 2 are refused in a
//! version-1 event. Kinds call these from their plans.

use crate::error::{ErrorKind, Result};
use crate::ledger::plan::{Path, Plan, field};
use crate::model::{
    Date, ImportRecord, Licence, LicenceKind, Marking, Origin, OriginKind, is_country,
};

/// Seconds in a day: a licence is valid through the whole of its expiry date (UTC).
const DAY_SECONDS: i64 = 86_400;

/// The states a transfer names, against which its licences are checked.
#[derive(Clone, Copy)]
pub(crate) struct States<'s> {
    /// The exporting state: issues the export licence.
    pub(crate) exporting: &'s str,
    /// The importing state, when known: issues the import licence.
    pub(crate) importing: Option<&'s str>,
    /// The transit states: each issues its transit authorisation.
    pub(crate) transit: &'s [String],
}

impl Plan<'_> {
    /// A member that format version 2 added: refused in a version-1 event.
    pub(crate) fn since_v2<'f>(&self, field: impl Into<Path<'f>>, present: bool) -> Result<()> {
        let field: Path<'_> = field.into();
        if present && self.version < 2 {
            return Err(self.err(
                field,
                ErrorKind::FieldInvalid {
                    value: field.to_string().trim_start_matches('/').to_owned(),
                    reason: format!(
                        "a member of format version 2; this event is of version {}",
                        self.version
                    ),
                },
            ));
        }
        Ok(())
    }

    /// A kind that format version 2 added: refused in a version-1 event (the schema refuses
    /// it too; this covers events built as typed values).
    pub(crate) fn new_kind(&self, kind: &str) -> Result<()> {
        if self.version < 2 {
            return Err(self.err(
                "/v",
                ErrorKind::FieldInvalid {
                    value: self.version.to_string(),
                    reason: format!("`{kind}` events exist from format version 2"),
                },
            ));
        }
        Ok(())
    }

    /// An ISO 3166-1 alpha-2 code of the official list.
    pub(crate) fn country<'f>(&self, field: impl Into<Path<'f>>, code: &str) -> Result<()> {
        let field: Path<'_> = field.into();
        if is_country(code) {
            Ok(())
        } else {
            Err(self.err(
                field,
                ErrorKind::UnknownCountry {
                    value: code.to_owned(),
                },
            ))
        }
    }

    /// A whole date `YYYY-MM-DD`; its first second in Unix time.
    pub(crate) fn day<'f>(&self, field: impl Into<Path<'f>>, date: &Date) -> Result<i64> {
        let field: Path<'_> = field.into();
        date.day_start_unix().ok_or_else(|| {
            self.err(
                field,
                ErrorKind::FieldInvalid {
                    value: date.as_str().to_owned(),
                    reason: "a whole date `YYYY-MM-DD` is needed here".into(),
                },
            )
        })
    }

    /// `state` must be `expected` (the `role` of the record).
    pub(crate) fn same_state<'f>(
        &self,
        field: impl Into<Path<'f>>,
        state: &str,
        expected: &str,
        role: &str,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        if state == expected {
            Ok(())
        } else {
            Err(self.err(
                field,
                ErrorKind::StateMismatch {
                    state: state.to_owned(),
                    expected: expected.to_owned(),
                    role: role.to_owned(),
                },
            ))
        }
    }

    /// Every licence: its state known, its dates whole and in order, valid on the event's date,
    /// issued by the state it belongs to (an export licence by the exporting state, an import
    /// licence by the importing state when it is known, a transit licence by one of the transit
    /// states).
    pub(crate) fn licences(
        &self,
        base: &str,
        licences: &[Licence],
        states: States<'_>,
        on: (i64, &str),
    ) -> Result<()> {
        let States {
            exporting,
            importing,
            transit,
        } = states;
        let (now, on_text) = on;
        for (i, l) in licences.iter().enumerate() {
            self.country(field(base, i, "/state"), &l.state)?;
            let issued = self.day(field(base, i, "/issued"), &l.issued)?;
            let expires = self.day(field(base, i, "/expires"), &l.expires)?;
            if expires < issued {
                return Err(self.err(
                    field(base, i, "/expires"),
                    ErrorKind::FieldInvalid {
                        value: l.expires.as_str().to_owned(),
                        reason: format!(
                            "the licence expires before it was issued ({})",
                            l.issued.as_str()
                        ),
                    },
                ));
            }
            if now < issued {
                return Err(self.err(
                    field(base, i, "/issued"),
                    ErrorKind::LicenceNotYetValid {
                        number: l.number.clone(),
                        issued: l.issued.as_str().to_owned(),
                        at: on_text.to_owned(),
                    },
                ));
            }
            if now >= expires.saturating_add(DAY_SECONDS) {
                return Err(self.err(
                    field(base, i, "/expires"),
                    ErrorKind::LicenceExpired {
                        number: l.number.clone(),
                        expires: l.expires.as_str().to_owned(),
                        at: on_text.to_owned(),
                    },
                ));
            }
            let f = field(base, i, "/state");
            match l.kind {
                LicenceKind::Export => {
                    self.same_state(f, &l.state, exporting, "exporting state")?
                }
                LicenceKind::Import => {
                    if let Some(importing) = importing {
                        self.same_state(f, &l.state, importing, "importing state")?;
                    }
                }
                LicenceKind::Transit => {
                    if !transit.contains(&l.state) {
                        return Err(self.err(
                            f,
                            ErrorKind::StateMismatch {
                                state: l.state.clone(),
                                expected: transit.join(", "),
                                role: "transit states".into(),
                            },
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The origin of registered stock: an import record only on imported stock, only in
    /// version 2, and then checked.
    pub(crate) fn origin(
        &self,
        base: &str,
        origin: &Origin,
        importing: Option<&str>,
    ) -> Result<()> {
        let Some(record) = &origin.import else {
            // In version 2 imported stock enters with its import record (ATT art. 12.2,
            // Firearms Protocol art. 7).
            if self.version >= 2 && origin.kind == OriginKind::Imported {
                return Err(self.err(
                    format!("{base}/import"),
                    ErrorKind::RecordMissing {
                        record: "an import record".into(),
                        why: "imported stock enters with its import record (ATT art. 12.2, Firearms Protocol art. 7)".into(),
                    },
                ));
            }
            return Ok(());
        };
        let f = format!("{base}/import");
        self.since_v2(&f, true)?;
        if origin.kind != OriginKind::Imported {
            return Err(self.err(
                f,
                ErrorKind::FieldInvalid {
                    value: origin.kind.as_str().to_owned(),
                    reason: "an import record belongs to imported stock".into(),
                },
            ));
        }
        self.import_record(&f, record, importing)
    }

    /// In version 2, the countries of a marking are codes of the official list.
    pub(crate) fn marking_countries<'f>(
        &self,
        base: impl Into<Path<'f>>,
        marking: &Marking,
    ) -> Result<()> {
        let base: Path<'_> = base.into();
        if self.version < 2 {
            return Ok(());
        }
        // The pointers are written out only for a code that is refused (this runs for every
        // item a version-2 event registers).
        if let Some(c) = &marking.country_of_manufacture
            && !is_country(c)
        {
            self.country(&format!("{base}/country_of_manufacture"), c)?;
        }
        if let Some(c) = marking.import.as_ref().and_then(|i| i.country.as_ref())
            && !is_country(c)
        {
            self.country(&format!("{base}/import/country"), c)?;
        }
        Ok(())
    }

    /// The import record of stock registered at a site whose state is `importing` (when the
    /// site names one): every state known, exporting and importing states differ, the date of
    /// import not after the event, licences valid on the date of import, the delivery
    /// verification issued by the importing state.
    pub(crate) fn import_record(
        &self,
        base: &str,
        record: &ImportRecord,
        importing: Option<&str>,
    ) -> Result<()> {
        let date_field = format!("{base}/date");
        let entered = self.day(&date_field, &record.date)?;
        if entered > self.at.unix_seconds() {
            return Err(self.err(
                date_field,
                ErrorKind::FieldInvalid {
                    value: record.date.as_str().to_owned(),
                    reason: format!(
                        "the stock is imported after it is registered (`{}`)",
                        self.at
                    ),
                },
            ));
        }
        self.country(&format!("{base}/exporting_state"), &record.exporting_state)?;
        if importing == Some(record.exporting_state.as_str()) {
            return Err(self.err(
                format!("{base}/exporting_state"),
                ErrorKind::SameState {
                    state: record.exporting_state.clone(),
                },
            ));
        }
        for (i, s) in record.transit_states.iter().enumerate() {
            self.country(field(&format!("{base}/transit_states"), i, ""), s)?;
        }
        self.licences(
            &format!("{base}/licences"),
            &record.licences,
            States {
                exporting: &record.exporting_state,
                importing,
                transit: &record.transit_states,
            },
            (entered, record.date.as_str()),
        )?;
        if let Some(dv) = &record.delivery_verification {
            let f = format!("{base}/delivery_verification/state");
            self.country(&f, &dv.state)?;
            if let Some(importing) = importing {
                self.same_state(&f, &dv.state, importing, "importing state")?;
            }
            self.day(&format!("{base}/delivery_verification/date"), &dv.date)?;
        }
        Ok(())
    }
}
