//! The checks that legal holds share (format version 2): stock under an evidence hold (set by
//! a `seizure`, lifted by a `judicial_order`) moves only to and from a forensic laboratory and
//! is not destroyed, exported, rebatched or deactivated while held. Version-1 events never
//! meet a hold (a version-1 event after a version-2 one is refused), and the checks are gated
//! on the version anyway, so that version 1's rules stay what they were.

use crate::error::{ErrorKind, Result};
use crate::ledger::plan::{Path, Plan};
use crate::model::{Disposition, ItemId, LotId, SiteId, SiteKind, StockStatus};

/// The case of a hold, for messages: its case number, or `unrecorded` for stock whose
/// disposition says evidence hold without a seizure (none in a ledger written by this build).
fn case_of(hold: Option<&crate::ledger::state::Hold>) -> String {
    hold.map_or_else(|| "unrecorded".to_owned(), |h| h.case.clone())
}

impl Plan<'_> {
    fn refuse_held<'f>(
        &self,
        field: impl Into<Path<'f>>,
        stock: &str,
        status: StockStatus,
        hold: Option<&crate::ledger::state::Hold>,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        if self.version >= 2 && status.disposition == Disposition::EvidenceHold {
            return Err(self.err(
                field,
                ErrorKind::UnderEvidenceHold {
                    stock: stock.to_owned(),
                    case: case_of(hold),
                },
            ));
        }
        Ok(())
    }

    /// In version 2, an item not under an evidence hold (it is destroyed, exported, rebatched,
    /// seized again or deactivated).
    pub(crate) fn item_not_held<'f>(&self, field: impl Into<Path<'f>>, id: &ItemId) -> Result<()> {
        let field: Path<'_> = field.into();
        match self.state.items.get(id) {
            Some(i) => self.refuse_held(field, id.as_str(), i.status, i.hold.as_deref()),
            None => Ok(()),
        }
    }

    /// In version 2, a lot not under an evidence hold.
    pub(crate) fn lot_not_held<'f>(&self, field: impl Into<Path<'f>>, id: &LotId) -> Result<()> {
        let field: Path<'_> = field.into();
        match self.state.lots.get(id) {
            Some(l) => self.refuse_held(field, id.as_str(), l.status, l.hold.as_deref()),
            None => Ok(()),
        }
    }

    /// In version 2, stock is not registered under a disposition that only its own events set
    /// (an evidence hold, a forfeiture, a deactivation): they carry the record (case, court
    /// order, certificate) that the disposition alone would lack.
    pub(crate) fn registered_disposition<'f>(
        &self,
        field: impl Into<Path<'f>>,
        status: StockStatus,
    ) -> Result<()> {
        let field: Path<'_> = field.into();
        if self.version < 2 {
            return Ok(());
        }
        let by = match status.disposition {
            Disposition::EvidenceHold => "a seizure",
            Disposition::Forfeited => "a judicial order",
            Disposition::Deactivated => "a deactivation",
            _ => return Ok(()),
        };
        Err(self.err(
            field,
            ErrorKind::DispositionReserved {
                disposition: status.disposition.as_str().into(),
                changed_by: by.into(),
            },
        ))
    }

    /// Whether a site is a forensic laboratory.
    pub(crate) fn is_laboratory(&self, site: &SiteId) -> bool {
        self.state
            .sites
            .get(site)
            .is_some_and(|s| s.site.kind == SiteKind::Laboratory)
    }
}
