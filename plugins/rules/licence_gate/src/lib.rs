//! Export, import and transit licence gate (CIFTA art. IX, Firearms Protocol art. 10, ATT
//! arts. 7–9): arms leave for another state only when the exporting state has licensed the
//! export, the importing state the import and every transit state the transit, each licence
//! valid on the day of dispatch. CIFTA art. IX: no release until the importing and transit
//! states have issued their licences.
//!
//! Judged: `export_dispatch` (the day is the event's `at`), and, when `imports` is true,
//! registrations carrying an import record (`register_items`, `register_lot` with
//! `origin.import`; the day is the record's `date`, the importing state the site's country).
//!
//! Config: `{"required": ["export", "import", "transit"], "imports": true}`. `required` names
//! the licence kinds the regulation asks for (`transit`: one for each transit state on the
//! route); it must be present (a missing list denies with `LICENCE_GATE_CONFIG`, never a
//! silent default).
//!
//! Dates are `YYYY-MM-DD` strings compared as text (ISO 8601 days order as text); a licence is
//! valid from its `issued` day to its `expires` day, both included.

use custodia_pdk::{path, rule, Doc, Verdict};

/// A `YYYY-MM-DD` day.
fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// What a route needs: the dispatch (or import) day, the states, and where the licences are.
struct Route {
    day: String,
    exporting: Option<String>,
    importing: Option<String>,
    transit: Vec<String>,
    licences: String,
}

fn route(ctx: &Doc, cfg: &Doc) -> Option<Route> {
    match ctx.str("/event/kind").as_deref() {
        Some("export_dispatch") => {
            let at = ctx.str("/event/at").unwrap_or_default();
            Some(Route {
                day: at.get(..10).unwrap_or("").to_owned(),
                exporting: ctx.str("/event/exporting_state"),
                importing: ctx.str("/event/importing_state"),
                transit: ctx.strs("/event/transit_states"),
                licences: "/event/licences".to_owned(),
            })
        }
        Some("register_items") | Some("register_lot")
            if cfg.bool("/imports") == Some(true) && ctx.present("/event/origin/import") =>
        {
            Some(Route {
                day: ctx.str("/event/origin/import/date").unwrap_or_default(),
                exporting: ctx.str("/event/origin/import/exporting_state"),
                importing: ctx.str("/site/country"),
                transit: ctx.strs("/event/origin/import/transit_states"),
                licences: "/event/origin/import/licences".to_owned(),
            })
        }
        _ => None,
    }
}

/// Checks that a licence of `kind` issued by `state` is valid on `day`.
fn licensed(ctx: &Doc, r: &Route, kind: &str, state: Option<&str>) -> Result<(), Verdict> {
    let state = match state {
        Some(s) => s,
        None => {
            return Err(Verdict::deny(
                "LICENCE_MISSING",
                format!(
                    "a {} licence is required but the route names no {} state",
                    kind, kind
                ),
            ))
        }
    };
    let mut seen: Option<(String, String, String)> = None; // (number, issued, expires)
    for i in 0..ctx.count(&r.licences) {
        let l = path(&r.licences).index(i);
        if !ctx.str_eq(&l.clone().key("kind"), kind) || !ctx.str_eq(&l.clone().key("state"), state)
        {
            continue;
        }
        let number = ctx.str(&l.clone().key("number")).unwrap_or_default();
        let issued = ctx.str(&l.clone().key("issued")).unwrap_or_default();
        let expires = ctx.str(&l.key("expires")).unwrap_or_default();
        if is_day(&issued) && is_day(&expires) && issued <= r.day && r.day <= expires {
            return Ok(());
        }
        seen = Some((number, issued, expires));
    }
    Err(match seen {
        None => Verdict::deny(
            "LICENCE_MISSING",
            format!("no {} licence issued by `{}`", kind, state),
        ),
        Some((number, _, expires)) if expires < r.day => Verdict::deny(
            "LICENCE_EXPIRED",
            format!(
                "{} licence `{}` of `{}` expired on {}, before {}",
                kind, number, state, expires, r.day
            ),
        ),
        Some((number, issued, _)) => Verdict::deny(
            "LICENCE_NOT_YET_VALID",
            format!(
                "{} licence `{}` of `{}` is valid from {}, after {}",
                kind, number, state, issued, r.day
            ),
        ),
    })
}

/// Judges exports (and, when configured, imports); every other event is allowed.
pub fn licence_gate(ctx: &Doc, cfg: &Doc) -> Verdict {
    let r = match route(ctx, cfg) {
        Some(r) => r,
        None => return Verdict::allow(),
    };
    if cfg.len("/required").is_none() {
        return Verdict::deny(
            "LICENCE_GATE_CONFIG",
            "the configuration lists no `required` licence kinds",
        );
    }
    if !is_day(&r.day) {
        return Verdict::deny(
            "LICENCE_DAY_INVALID",
            format!("the day of the movement `{}` is not YYYY-MM-DD", r.day),
        );
    }
    for kind in cfg.strs("/required") {
        let checked = match kind.as_str() {
            "export" => licensed(ctx, &r, "export", r.exporting.as_deref()),
            "import" => licensed(ctx, &r, "import", r.importing.as_deref()),
            "transit" => r
                .transit
                .iter()
                .try_for_each(|t| licensed(ctx, &r, "transit", Some(t))),
            other => Err(Verdict::deny(
                "LICENCE_GATE_CONFIG",
                format!("unknown licence kind `{}` in `required`", other),
            )),
        };
        if let Err(denial) = checked {
            return denial;
        }
    }
    Verdict::allow()
}

rule!(licence_gate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_checked_and_compare_as_text() {
        assert!(is_day("2026-01-05"));
        assert!(!is_day("2026-1-05"));
        assert!(!is_day("2026-01-05T08:00:00Z"));
        assert!("2025-12-31" < "2026-01-05");
    }
}
