//! Net explosive quantity: after the event, the site's NEQ must stay within its licence
//! (`site.licensed_neq_grams`). Events that do not raise the site's NEQ are always allowed.
//!
//! Config: `{"warn_percent": 90}` (optional): warn when the site ends at or above that share
//! of its licence.

use custodia_pdk::{rule, Doc, Verdict};

/// Judges one event against the site's licensed net explosive quantity.
pub fn neq_limit(ctx: &Doc, cfg: &Doc) -> Verdict {
    if !ctx.present("/site") {
        return Verdict::allow();
    }
    let site = ctx.str("/site/id").unwrap_or_default();
    let before = ctx.int("/site/neq_grams_before").unwrap_or(0);
    let after = match ctx.int("/site/neq_grams_after") {
        Some(a) => a,
        None => {
            // Derive it from the lots the event brings in.
            let mut a = before;
            for i in 0..ctx.count("/lots") {
                let moved = ctx.int(&format!("/lots/{}/moved", i)).unwrap_or(0);
                let per = ctx
                    .int(&format!("/lots/{}/neq_grams_per_unit", i))
                    .unwrap_or(0);
                a = a.saturating_add(moved.saturating_mul(per));
            }
            a
        }
    };
    if after <= before {
        return Verdict::allow();
    }
    let licensed = match ctx.int("/site/licensed_neq_grams") {
        Some(l) => l,
        None => {
            return Verdict::deny(
                "NEQ_LICENCE_MISSING",
                format!("site `{}` has no licensed net explosive quantity", site),
            )
        }
    };
    if after > licensed {
        return Verdict::deny(
            "NEQ_LIMIT_EXCEEDED",
            format!(
                "site `{}` would hold {} g NEQ, licence allows {} g",
                site, after, licensed
            ),
        );
    }
    if let Some(pct) = cfg.int("/warn_percent") {
        if licensed > 0 && after.saturating_mul(100) >= licensed.saturating_mul(pct) {
            return Verdict::allow().warn(
                "NEQ_NEAR_LIMIT",
                format!(
                    "site `{}` would hold {} g NEQ, {}% or more of its {} g licence",
                    site, after, pct, licensed
                ),
            );
        }
    }
    Verdict::allow()
}

rule!(neq_limit);
