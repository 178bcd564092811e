//! Separation of duties (MOSAIC 05.50 and IATG 10.10 on destruction; the two-person principle
//! of armoury control): no one holds two duties that are meant to check each other. The actor
//! who authorised a destruction may not carry it out or witness it, the destroyer may not
//! witness it, and whoever issues a weapon may not receive it.
//!
//! Config: `duties` names where each duty's actors are in the input document (a JSON Pointer;
//! a `*` segment stands for every element of an array); `separate` lists, per event kind, pairs
//! of duties that must be held by different actors.
//!
//! ```json
//! {"duties": {"recorder": "/event/actor", "destroyer": "/event/custodian",
//!             "authoriser": "/authorisation/actor", "witness": "/event/witnesses/*/actor",
//!             "issuer": "/event/actor", "receiver": "/event/to"},
//!  "separate": [{"kind": "destruction", "duties": ["authoriser", "destroyer"]},
//!               {"kind": "weapon_issue", "duties": ["issuer", "receiver"]}]}
//! ```
//!
//! A duty named in `separate` but not in `duties` denies with `SEPARATION_CONFIG` (a typo must
//! not switch a check off).

use custodia_pdk::{path, rule, token, Doc, Verdict};

/// The strings at `pointer`, where a `*` segment expands to every element of the array there.
fn actors_at(ctx: &Doc, pointer: &str, out: &mut Vec<String>) {
    let split = pointer.find("/*").map(|at| {
        (
            pointer.get(..at).unwrap_or(""),
            pointer.get(at + 2..).unwrap_or(""),
        )
    });
    match split {
        Some((array, rest)) if rest.is_empty() || rest.starts_with('/') => {
            for i in 0..ctx.count(array) {
                let mut p = path(array).index(i).build();
                p.push_str(rest);
                actors_at(ctx, &p, out);
            }
        }
        _ => {
            if let Some(s) = ctx.str(pointer) {
                out.push(s);
            }
        }
    }
}

/// The actors holding `duty` in this event, or the configuration error.
fn holders(ctx: &Doc, cfg: &Doc, duty: &str) -> Result<Vec<String>, Verdict> {
    let pointer = match cfg.str(&path("/duties").key(duty)) {
        Some(p) => p,
        None => {
            return Err(Verdict::deny(
                "SEPARATION_CONFIG",
                format!("duty `{}` is not defined in `duties`", token(duty)),
            ))
        }
    };
    let mut out = Vec::new();
    actors_at(ctx, &pointer, &mut out);
    Ok(out)
}

/// Judges the kinds named in `separate`; every other event is allowed.
pub fn separation_of_duties(ctx: &Doc, cfg: &Doc) -> Verdict {
    let kind = ctx.str("/event/kind").unwrap_or_default();
    for i in 0..cfg.count("/separate") {
        let pair = path("/separate").index(i);
        if !cfg.str_eq(&pair.clone().key("kind"), &kind) {
            continue;
        }
        let duties = cfg.strs(&pair.key("duties"));
        let (a, b) = match duties.as_slice() {
            [a, b] => (a, b),
            _ => {
                return Verdict::deny(
                    "SEPARATION_CONFIG",
                    format!("`separate/{}` must name two duties", i),
                )
            }
        };
        let (first, second) = match (holders(ctx, cfg, a), holders(ctx, cfg, b)) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(v), _) | (_, Err(v)) => return v,
        };
        if let Some(both) = first.iter().find(|x| second.contains(x)) {
            return Verdict::deny(
                "DUTIES_NOT_SEPARATED",
                format!("`{}` is both {} and {} of this {}", both, a, b, kind),
            );
        }
    }
    Verdict::allow()
}

rule!(separation_of_duties);
