//! No issue of ammunition past its inspection date (IATG 07.20, surveillance and proof; IATG
//! 03.10, inventory management): ammunition whose next surveillance inspection is overdue, or
//! whose shelf life has expired, is not issued until a technical authority has inspected it
//! (an `inspection` event moves its `next_inspection`). Sending it where it is examined or
//! destroyed is not an issue and is allowed.
//!
//! Judged: the kinds in `kinds` (an issue from a holding: a dispatch, an expenditure). For each
//! lot the event moves, the day of the event (`/event/at`, its first ten characters) is compared
//! with the lot's `next_inspection` and `expiry`; a month-only date (`2025-12`) counts from the
//! first of that month, as `custodia inspections-due` does. A lot past its expiry is denied
//! `AMMUNITION_EXPIRED`; one past its next inspection `INSPECTION_OVERDUE` (an inspection due
//! on the day of the issue is not yet overdue). A dispatch whose destination site is of a kind
//! in `exempt_destinations` is allowed.
//!
//! Config (every member required):
//! `{"kinds": ["transfer_dispatch", "expenditure"],
//!   "exempt_destinations": ["demilitarisation", "laboratory"]}`.
//! A ministry whose destruction ranges are registered as `range` adds `range` to the exempt
//! kinds (format version 1 had no `demilitarisation` site kind).

use custodia_pdk::{path, rule, Doc, Verdict};

const CONFIG_MEMBERS: [&str; 2] = ["/kinds", "/exempt_destinations"];

/// A date (`YYYY-MM-DD` or `YYYY-MM`) as a day `YYYY-MM-DD`: a month counts from its first.
fn day(date: &str) -> String {
    if date.len() == 7 {
        format!("{}-01", date)
    } else {
        date.to_string()
    }
}

/// Judges issues of lots; every other event is allowed.
pub fn inspection_date(ctx: &Doc, cfg: &Doc) -> Verdict {
    if let Some(missing) = CONFIG_MEMBERS.iter().find(|m| !cfg.exists(m)) {
        return Verdict::deny(
            "INSPECTION_DATE_CONFIG",
            format!(
                "the configuration lacks `{}`",
                missing.trim_start_matches('/')
            ),
        );
    }
    let kind = ctx.str("/event/kind").unwrap_or_default();
    if !cfg.contains_str("/kinds", &kind) {
        return Verdict::allow();
    }
    if let Some(destination) = ctx.str("/destination/kind") {
        if cfg.contains_str("/exempt_destinations", &destination) {
            return Verdict::allow();
        }
    }
    let at = ctx.str("/event/at").unwrap_or_default();
    let today: String = at.chars().take(10).collect();
    for i in 0..ctx.count("/lots") {
        let lot = path("/lots").index(i);
        let id = ctx.str(&lot.clone().key("id")).unwrap_or_default();
        if let Some(expiry) = ctx.str(&lot.clone().key("expiry")) {
            if day(&expiry) < today {
                return Verdict::deny(
                    "AMMUNITION_EXPIRED",
                    format!(
                        "lot `{}` expired on {} and is issued on {}",
                        id, expiry, today
                    ),
                );
            }
        }
        if let Some(next) = ctx.str(&lot.key("next_inspection")) {
            if day(&next) < today {
                return Verdict::deny(
                    "INSPECTION_OVERDUE",
                    format!(
                        "lot `{}` was due for inspection on {} and is issued on {} without one",
                        id, next, today
                    ),
                );
            }
        }
    }
    Verdict::allow()
}

rule!(inspection_date);
