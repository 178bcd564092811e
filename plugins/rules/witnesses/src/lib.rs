//! Destruction witnesses: a destruction needs at least `witnesses_min` witnesses from at least
//! `agencies_min` distinct agencies, and every witness must have signed the event.
//!
//! Config: `{"witnesses_min": 2, "agencies_min": 2, "agencies_allowed": ["agency:..."]}`
//! (`agencies_allowed` optional: when present, every witness's agency must be in it).

use custodia_pdk::{path, rule, Doc, Verdict};

/// Judges one event; only `destruction` is judged, every other kind is allowed.
pub fn witnesses(ctx: &Doc, cfg: &Doc) -> Verdict {
    if ctx.str("/event/kind").as_deref() != Some("destruction") {
        return Verdict::allow();
    }
    let witnesses_min = cfg.int("/witnesses_min").unwrap_or(2);
    let agencies_min = cfg.int("/agencies_min").unwrap_or(1);

    let n = ctx.count("/event/witnesses");
    if (n as i64) < witnesses_min {
        return Verdict::deny(
            "WITNESSES_TOO_FEW",
            format!(
                "destruction has {} witnesses, {} required",
                n, witnesses_min
            ),
        );
    }

    let mut agencies: Vec<String> = Vec::new();
    for i in 0..n {
        let witness = path("/event/witnesses").index(i);
        let actor = ctx.str(&witness.clone().key("actor")).unwrap_or_default();
        let agency = ctx.str(&witness.key("agency")).unwrap_or_default();
        if actor.is_empty() || agency.is_empty() {
            return Verdict::deny(
                "WITNESS_INCOMPLETE",
                format!("witness {} lacks an actor or an agency", i),
            );
        }
        if ctx.find_str("/signers", "/actor", &actor).is_none() {
            return Verdict::deny(
                "WITNESS_NOT_SIGNED",
                format!("witness `{}` did not sign the destruction", actor),
            );
        }
        if cfg.exists("/agencies_allowed") && !cfg.contains_str("/agencies_allowed", &agency) {
            return Verdict::deny(
                "WITNESS_AGENCY_NOT_RECOGNISED",
                format!(
                    "witness `{}` belongs to `{}`, which may not witness destructions",
                    actor, agency
                ),
            );
        }
        if !agencies.contains(&agency) {
            agencies.push(agency);
        }
    }
    if (agencies.len() as i64) < agencies_min {
        return Verdict::deny(
            "WITNESS_AGENCIES_TOO_FEW",
            format!(
                "witnesses come from {} agencies, {} required",
                agencies.len(),
                agencies_min
            ),
        );
    }
    Verdict::allow()
}

rule!(witnesses);
