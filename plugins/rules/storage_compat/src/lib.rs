//! Storage compatibility (IATG 01.50 style): explosives brought into a site must be of a hazard
//! division the site is licensed for, and their compatibility group must not be one that the
//! ministry's table forbids to mix with what the site already holds (or with each other).
//!
//! No table is shipped: the ministry supplies it as config, e.g.
//! `{"incompatible": [["A", "B"], ["B", "S"]], "kinds": ["register_lot", "transfer_receipt"]}`.
//! `kinds` (optional) lists the event kinds that bring stock into a site (their `site` in the
//! input is where the stock arrives); by default [`KINDS_BRINGING_IN`]. Events that take stock
//! out of a site or leave it where it is (a `transfer_dispatch`, `export_dispatch`,
//! `expenditure`, `loss_report`, `destruction`, `seizure`, ...) are not judged: moving an
//! incompatible lot out of a site must stay possible.

use custodia_pdk::{rule, Doc, Verdict};

/// The event kinds (`core/src/ledger/kinds/mod.rs`) that bring lots into the site the input
/// names: registrations, the receipt of a transfer, stock found again, unfired rounds returned.
pub const KINDS_BRINGING_IN: [&str; 5] = [
    "register_lot",
    "register_items",
    "transfer_receipt",
    "recovery",
    "expenditure_return",
];

fn incompatible(cfg: &Doc, a: &str, b: &str) -> bool {
    for i in 0..cfg.count("/incompatible") {
        let x = cfg
            .str(&format!("/incompatible/{}/0", i))
            .unwrap_or_default();
        let y = cfg
            .str(&format!("/incompatible/{}/1", i))
            .unwrap_or_default();
        if (x == a && y == b) || (x == b && y == a) {
            return true;
        }
    }
    false
}

/// Judges events that bring lots into a site.
pub fn storage_compat(ctx: &Doc, cfg: &Doc) -> Verdict {
    let kind = ctx.str("/event/kind").unwrap_or_default();
    let judged = if cfg.exists("/kinds") {
        cfg.contains_str("/kinds", &kind)
    } else {
        KINDS_BRINGING_IN.contains(&kind.as_str())
    };
    if !judged || !ctx.present("/site") || ctx.count("/lots") == 0 {
        return Verdict::allow();
    }
    let site = ctx.str("/site/id").unwrap_or_default();

    // (lot id, group) of everything present after the event.
    let mut present: Vec<(String, String)> = Vec::new();
    for i in 0..ctx.count("/site/holdings_before") {
        let qty = ctx
            .int(&format!("/site/holdings_before/{}/quantity", i))
            .unwrap_or(0);
        if qty <= 0 {
            continue;
        }
        let lot = ctx
            .str(&format!("/site/holdings_before/{}/lot", i))
            .unwrap_or_default();
        if let Some(g) = ctx.str(&format!("/site/holdings_before/{}/hazard/group", i)) {
            present.push((lot, g));
        }
    }
    for i in 0..ctx.count("/lots") {
        let lot = ctx.str(&format!("/lots/{}/id", i)).unwrap_or_default();
        let division = match ctx.str(&format!("/lots/{}/hazard/division", i)) {
            Some(d) => d,
            None => continue, // not an explosive
        };
        if ctx.exists("/site/hazard_divisions")
            && !ctx.contains_str("/site/hazard_divisions", &division)
        {
            return Verdict::deny(
                "HAZARD_DIVISION_NOT_LICENSED",
                format!(
                    "site `{}` is not licensed for hazard division {} (lot `{}`)",
                    site, division, lot
                ),
            );
        }
        let group = ctx
            .str(&format!("/lots/{}/hazard/group", i))
            .unwrap_or_default();
        for (other, g) in &present {
            if other != &lot && incompatible(cfg, &group, g) {
                return Verdict::deny(
                    "STORAGE_INCOMPATIBLE",
                    format!(
                        "lot `{}` (group {}) may not be stored with lot `{}` (group {}) at site `{}`",
                        lot, group, other, g, site
                    ),
                );
            }
        }
        present.push((lot, group));
    }
    Verdict::allow()
}

rule!(storage_compat);

#[cfg(test)]
mod tests {
    use super::KINDS_BRINGING_IN;

    /// Every kind named here is a kind of the ledger (the list once named `loss`, `theft` and
    /// `dispatch`, which no event has).
    #[test]
    fn kinds_are_the_ledgers_kinds() {
        let kinds = include_str!("../../../../core/src/ledger/kinds/mod.rs");
        for kind in KINDS_BRINGING_IN {
            assert!(
                kinds.contains(&format!("\"{}\" =>", kind)),
                "`{}` is not an event kind",
                kind
            );
        }
    }
}
