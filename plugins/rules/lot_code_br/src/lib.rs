//! Brazil's ammunition lot code (Law 10.826 of 2003, art. 23 §2, and its regulation):
//! ammunition bought by the bodies of the law's art. 6 (armed forces, federal and state
//! police, municipal guards, prison services, ...) is marked with the lot and the purchaser's
//! identification, so that a cartridge found at a crime scene leads to the body that bought it.
//! (§1 adds a bar code on every box identifying manufacturer and purchaser.)
//!
//! Judged: the kinds in `kinds` (a lot registered or received) at a site in one of `countries`,
//! when the recording actor's agency is a purchaser listed in `purchasers`, and the lot's unit
//! is one of `units` (cartridges): the lot's `lot_number` must contain that purchaser's code.
//! A lot coded for another listed purchaser is named in the denial.
//!
//! Config (every member required):
//! `{"purchasers": {"agency:pf": "DPF", "agency:eb": "EB"}, "kinds": ["register_lot",
//! "transfer_receipt"], "countries": ["BR"], "units": ["round"]}`. The codes here are
//! examples: the ministry supplies the codes its regulation assigns.

use custodia_pdk::{path, rule, Doc, Verdict};

const CONFIG_MEMBERS: [&str; 4] = ["/purchasers", "/kinds", "/countries", "/units"];

/// Judges lots registered or received by a listed purchaser; every other event is allowed.
pub fn lot_code_br(ctx: &Doc, cfg: &Doc) -> Verdict {
    if let Some(missing) = CONFIG_MEMBERS.iter().find(|m| !cfg.exists(m)) {
        return Verdict::deny(
            "LOT_CODE_CONFIG",
            format!(
                "the configuration lacks `{}`",
                missing.trim_start_matches('/')
            ),
        );
    }
    let kind = ctx.str("/event/kind").unwrap_or_default();
    let country = ctx.str("/site/country").unwrap_or_default();
    if !cfg.contains_str("/kinds", &kind) || !cfg.contains_str("/countries", &country) {
        return Verdict::allow();
    }
    let agency = ctx.str("/actor/agency").unwrap_or_default();
    let code = match cfg.str(&path("/purchasers").key(&agency)) {
        Some(c) => c,
        None => return Verdict::allow(), // not a body of art. 6 the ministry lists
    };
    for i in 0..ctx.count("/lots") {
        let lot = path("/lots").index(i);
        let unit = ctx.str(&lot.clone().key("unit")).unwrap_or_default();
        if !cfg.contains_str("/units", &unit) {
            continue;
        }
        let number = ctx.str(&lot.clone().key("lot_number")).unwrap_or_default();
        if number.contains(code.as_str()) {
            continue;
        }
        let id = ctx.str(&lot.key("id")).unwrap_or_default();
        let other = cfg
            .keys("/purchasers")
            .into_iter()
            .filter_map(|a| cfg.str(&path("/purchasers").key(&a)).map(|c| (a, c)))
            .find(|(_, c)| !c.is_empty() && number.contains(c.as_str()));
        let whose = match other {
            Some((a, c)) => format!(", it carries `{}` of `{}`", c, a),
            None => String::new(),
        };
        return Verdict::deny(
            "LOT_CODE_PURCHASER_MISSING",
            format!(
                "lot `{}` (`{}`) lacks the code `{}` of its purchaser `{}`{}",
                id, number, code, agency, whose
            ),
        );
    }
    Verdict::allow()
}

rule!(lot_code_br);
