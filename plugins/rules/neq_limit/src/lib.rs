//! Net explosive quantity per hazard division (IATG 01.50 hazard classification, IATG 02.20
//! quantity-distances): the stock an event brings into a site must keep the site within its
//! licence. NEQ is summed per hazard division (`1.1` ... `1.6`). Division 1.4 compatibility
//! group S is counted apart and not against any limit (`exempt`): its effects stay inside the
//! package, and most national regimes, following the UN classification, exempt it from
//! quantity-distance limits.
//!
//! - The site's `licensed_neq_grams` bounds the sum over every division that is not exempt.
//! - `division_limits_grams` (optional) gives a site's limit per division, as its explosives
//!   licence states it, e.g. `{"magazine:a-1": {"1.1": 200000, "1.3": 400000}}`; a division
//!   without a limit there is bounded by the total only.
//!
//! Judged: the kinds in `kinds` (the kinds that bring stock into the input's `site`; their lots
//! come in, `moved` units each). Any other event with a site is judged on the host's totals
//! (`neq_grams_before`, `neq_grams_after`, every division counted), as version 0.1 of this
//! rule did: it is allowed unless it raises the total over the licence.
//!
//! Units: the rule works in milligrams. It reads `neq_mg_per_unit` (or `neq_mg`),
//! `licensed_neq_mg`, `neq_mg_before` and `neq_mg_after` when the input has them (issue 13
//! moves NEQ to milligrams per unit), else the `..._grams...` members times 1000.
//!
//! Config: `{"kinds": ["register_lot", "transfer_receipt", "recovery", "expenditure_return"],
//! "exempt": [{"division": "1.4", "group": "S"}], "warn_percent": 90,
//! "division_limits_grams": {...}}`; `kinds` and `exempt` are required (`NEQ_CONFIG`
//! otherwise); `warn_percent`: warn when a limit is reached to that share.

use custodia_pdk::{path, rule, Doc, Verdict};

const MG_PER_GRAM: i64 = 1000;

/// NEQ per unit of the lot (or holding) at `p`, in milligrams (`neq_mg_per_unit` or `neq_mg`,
/// whichever name the ledger's milligram field has, else grams).
fn per_unit_mg(ctx: &Doc, p: &str) -> i64 {
    let mg = ctx
        .int(&path(p).key("neq_mg_per_unit"))
        .or_else(|| ctx.int(&path(p).key("neq_mg")));
    match mg {
        Some(mg) => mg,
        None => ctx
            .int(&path(p).key("neq_grams_per_unit"))
            .unwrap_or(0)
            .saturating_mul(MG_PER_GRAM),
    }
}

/// The site's licensed NEQ in milligrams, if it has one.
fn licence_mg(ctx: &Doc) -> Option<i64> {
    ctx.int("/site/licensed_neq_mg").or_else(|| {
        ctx.int("/site/licensed_neq_grams")
            .map(|g| g.saturating_mul(MG_PER_GRAM))
    })
}

/// Milligrams as grams for messages (whole grams, rounded down; the ledger's own unit).
fn grams(mg: i64) -> i64 {
    mg.div_euclid(MG_PER_GRAM)
}

/// NEQ per hazard division, in the order first seen.
#[derive(Default)]
struct Divisions(Vec<(String, i64, i64)>); // (division, before mg, after mg)

impl Divisions {
    fn add(&mut self, division: String, before: i64, after: i64) {
        match self.0.iter_mut().find(|d| d.0 == division) {
            Some(d) => {
                d.1 = d.1.saturating_add(before);
                d.2 = d.2.saturating_add(after);
            }
            None => self.0.push((division, before, after)),
        }
    }
}

fn exempt(ctx: &Doc, cfg: &Doc, hazard: &str) -> bool {
    let division = ctx.str(&path(hazard).key("division")).unwrap_or_default();
    let group = ctx.str(&path(hazard).key("group")).unwrap_or_default();
    (0..cfg.count("/exempt")).any(|i| {
        let e = path("/exempt").index(i);
        cfg.str_eq(&e.clone().key("division"), &division) && cfg.str_eq(&e.key("group"), &group)
    })
}

/// Sums what the site holds and what the event brings in, per division.
fn divisions(ctx: &Doc, cfg: &Doc) -> Divisions {
    let mut d = Divisions::default();
    for (list, quantity, before) in [
        ("/site/holdings_before", "quantity", true),
        ("/lots", "moved", false),
    ] {
        for i in 0..ctx.count(list) {
            let p = path(list).index(i).build();
            let hazard = path(&p).key("hazard").build();
            let division = match ctx.str(&path(&hazard).key("division")) {
                Some(v) => v,
                None => continue, // inert: no explosive content
            };
            if exempt(ctx, cfg, &hazard) {
                continue;
            }
            let units = ctx.int(&path(&p).key(quantity)).unwrap_or(0);
            let mg = units.saturating_mul(per_unit_mg(ctx, &p));
            d.add(division, if before { mg } else { 0 }, mg);
        }
    }
    d
}

/// Denies when `after` is over `limit`, warns when near it; `what` names the limit.
fn check(v: Verdict, cfg: &Doc, what: &str, code: &str, after: i64, limit: i64) -> Verdict {
    if after > limit {
        return Verdict::deny(
            code,
            format!(
                "{} would hold {} g NEQ, its limit is {} g",
                what,
                grams(after),
                grams(limit)
            ),
        );
    }
    match cfg.int("/warn_percent") {
        Some(pct) if limit > 0 && after.saturating_mul(100) >= limit.saturating_mul(pct) => v.warn(
            "NEQ_NEAR_LIMIT",
            format!(
                "{} would hold {} g NEQ, {}% or more of its {} g limit",
                what,
                grams(after),
                pct,
                grams(limit)
            ),
        ),
        _ => v,
    }
}

/// Judges one event against the site's licensed net explosive quantity.
pub fn neq_limit(ctx: &Doc, cfg: &Doc) -> Verdict {
    if !cfg.exists("/kinds") || !cfg.exists("/exempt") {
        return Verdict::deny("NEQ_CONFIG", "the configuration needs `kinds` and `exempt`");
    }
    if !ctx.present("/site") {
        return Verdict::allow();
    }
    let site = ctx.str("/site/id").unwrap_or_default();
    let kind = ctx.str("/event/kind").unwrap_or_default();
    let (before, after, divisions) = if cfg.contains_str("/kinds", &kind) {
        let d = divisions(ctx, cfg);
        let before = d.0.iter().fold(0i64, |s, x| s.saturating_add(x.1));
        let after = d.0.iter().fold(0i64, |s, x| s.saturating_add(x.2));
        (before, after, d)
    } else {
        let mg = |mg: &str, g: &str| {
            ctx.int(mg)
                .unwrap_or_else(|| ctx.int(g).unwrap_or(0).saturating_mul(MG_PER_GRAM))
        };
        (
            mg("/site/neq_mg_before", "/site/neq_grams_before"),
            mg("/site/neq_mg_after", "/site/neq_grams_after"),
            Divisions::default(),
        )
    };
    if after <= before {
        return Verdict::allow();
    }
    let mut verdict = Verdict::allow();
    for (division, before, after) in &divisions.0 {
        if after <= before {
            continue;
        }
        let limit = path("/division_limits_grams").key(&site).key(division);
        if let Some(g) = cfg.int(&limit) {
            let what = format!("site `{}` (division {})", site, division);
            verdict = check(
                verdict,
                cfg,
                &what,
                "NEQ_DIVISION_LIMIT_EXCEEDED",
                *after,
                g.saturating_mul(MG_PER_GRAM),
            );
            if verdict.is_deny() {
                return verdict;
            }
        }
    }
    let licensed = match licence_mg(ctx) {
        Some(l) => l,
        None => {
            return Verdict::deny(
                "NEQ_LICENCE_MISSING",
                format!("site `{}` has no licensed net explosive quantity", site),
            )
        }
    };
    let what = format!("site `{}`", site);
    check(verdict, cfg, &what, "NEQ_LIMIT_EXCEEDED", after, licensed)
}

rule!(neq_limit);
