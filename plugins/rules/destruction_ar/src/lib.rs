//! Argentina-style destruction (the worked example of `docs/PLUGIN_GUIDE.md`). Argentina
//! destroys seized and surplus firearms under the national firearms agency's control (ANMaC,
//! now RENAR): by a method allowed for what is destroyed, at a demilitarisation facility, in the
//! presence of an agency officer who signs the record. A ministry changes the agency, the
//! methods or the site kinds in the manifest's configuration, without recompiling.
//!
//! Config:
//!
//! ```json
//! {"agency": "agency:anmac",
//!  "methods": {"firearm": ["cutting", "crushing"], "ammunition": ["incineration"]},
//!  "site_kinds": ["demilitarisation"]}
//! ```
//!
//! - `methods`: per category, the methods allowed. Categories are the item categories
//!   (`firearm`, `light_weapon`) and the lot categories of format version 2 (`ammunition`,
//!   `explosives`, `propellant`, `pyrotechnics`, `components`, `parts`). A category the
//!   configuration does not name may not be destroyed at all; a lot without a category
//!   (format version 1) cannot be judged and is refused.
//! - `site_kinds` (optional, default `["demilitarisation"]`): the site kinds where destruction
//!   may take place.
//! - The method is the event's `steps` when it has them (format version 2's vocabulary; every
//!   step must be allowed, e.g. `["shredding", "melting"]`), else its free-text `method`.
//!
//! `check_config` refuses a configuration that is not of this shape when the plugin is loaded.

use custodia_pdk::{path, rule, Doc, Kind, Verdict};

/// Categories a configuration may name (item categories, then lot categories).
pub const CATEGORIES: [&str; 8] = [
    "firearm",
    "light_weapon",
    "ammunition",
    "explosives",
    "propellant",
    "pyrotechnics",
    "components",
    "parts",
];

/// Site kinds a configuration may name.
pub const SITE_KINDS: [&str; 7] = [
    "depot",
    "building",
    "magazine",
    "range",
    "armoury",
    "laboratory",
    "demilitarisation",
];

/// The steps of the destruction: `/event/steps` (format version 2: the vocabulary of
/// destruction methods, multi-step methods as a list), else the free text `/event/method`.
fn methods(ctx: &Doc) -> Vec<String> {
    if ctx.kind("/event/steps") == Kind::Array {
        return ctx.strs("/event/steps");
    }
    ctx.str("/event/method").into_iter().collect()
}

/// The first step of `steps` that `category` does not allow, or the whole list when the
/// configuration names no method for it.
fn refused_step(cfg: &Doc, category: &str, steps: &[String]) -> Option<String> {
    let allowed = path("/methods").key(category).build();
    if cfg.kind(&allowed) != Kind::Array {
        return Some(steps.join(", "));
    }
    steps
        .iter()
        .find(|m| !cfg.contains_str(&allowed, m))
        .cloned()
}

/// Judges one event; only `destruction` is judged, every other kind is allowed.
pub fn destruction_ar(ctx: &Doc, cfg: &Doc) -> Verdict {
    if ctx.str("/event/kind").as_deref() != Some("destruction") {
        return Verdict::allow();
    }

    // At a demilitarisation facility (or another kind the configuration allows).
    let site = ctx.str("/event/site").unwrap_or_default();
    let site_kind = ctx.str("/site/kind").unwrap_or_default();
    let kind_allowed = if cfg.exists("/site_kinds") {
        cfg.contains_str("/site_kinds", &site_kind)
    } else {
        site_kind == "demilitarisation"
    };
    if !kind_allowed {
        return Verdict::deny(
            "SITE_NOT_DEMILITARISATION",
            format!(
                "destruction at `{}`, a site of kind `{}`; it must take place at a demilitarisation facility",
                site, site_kind
            ),
        );
    }

    // Witnessed by an officer of the national firearms agency, who signed the record.
    let agency = cfg.str("/agency").unwrap_or_default();
    let witnessed = (0..ctx.count("/event/witnesses")).any(|i| {
        let w = path("/event/witnesses").index(i);
        let actor = ctx.str(&w.clone().key("actor")).unwrap_or_default();
        ctx.str_eq(&w.key("agency"), &agency)
            && ctx.find_str("/signers", "/actor", &actor).is_some()
    });
    if !witnessed {
        return Verdict::deny(
            "AGENCY_WITNESS_MISSING",
            format!(
                "no witness of `{}` signed the destruction at `{}`",
                agency, site
            ),
        );
    }

    // Every method step allowed for the category of every item and lot destroyed.
    let steps = methods(ctx);
    if steps.is_empty() {
        return Verdict::deny("METHOD_MISSING", "the destruction names no method");
    }
    for i in 0..ctx.count("/items") {
        let item = path("/items").index(i);
        let category = ctx.str(&item.clone().key("category")).unwrap_or_default();
        if let Some(step) = refused_step(cfg, &category, &steps) {
            return Verdict::deny(
                "METHOD_NOT_ALLOWED",
                format!(
                    "`{}` ({}) may not be destroyed by `{}`",
                    ctx.str(&item.key("id")).unwrap_or_default(),
                    category,
                    step
                ),
            );
        }
    }
    for i in 0..ctx.count("/lots") {
        let lot = path("/lots").index(i);
        let id = ctx.str(&lot.clone().key("id")).unwrap_or_default();
        let category = match ctx.str(&lot.key("category")) {
            Some(c) => c,
            None => {
                return Verdict::deny(
                    "LOT_CATEGORY_MISSING",
                    format!(
                        "lot `{}` has no category (format version 2), so its methods cannot be checked",
                        id
                    ),
                )
            }
        };
        if let Some(step) = refused_step(cfg, &category, &steps) {
            return Verdict::deny(
                "METHOD_NOT_ALLOWED",
                format!("lot `{}` ({}) may not be destroyed by `{}`", id, category, step),
            );
        }
    }
    Verdict::allow()
}

fn invalid(field: &str, message: &str) -> Verdict {
    Verdict::deny_field(field, "CONFIG_INVALID", message)
}

/// Checks the configuration when the host loads the plugin.
pub fn check_config(cfg: &Doc) -> Verdict {
    match cfg.str("/agency") {
        Some(a) if a.starts_with("agency:") && a.len() > "agency:".len() => {}
        _ => return invalid("/agency", "the witnessing agency's id (`agency:...`) is required"),
    }
    if cfg.kind("/methods") != Kind::Object || cfg.count("/methods") == 0 {
        return invalid("/methods", "an object of methods per category is required");
    }
    for category in cfg.keys("/methods") {
        let field = path("/methods").key(&category).build();
        if !CATEGORIES.contains(&category.as_str()) {
            return invalid(
                &field,
                &format!("`{}` is not a category ({})", category, CATEGORIES.join(", ")),
            );
        }
        if cfg.kind(&field) != Kind::Array || cfg.count(&field) == 0 {
            return invalid(&field, "a non-empty list of methods is required");
        }
        for i in 0..cfg.count(&field) {
            let at = path(&field).index(i).build();
            if cfg.str(&at).map_or(true, |m| m.is_empty()) {
                return invalid(&at, "a method is a non-empty string");
            }
        }
    }
    if cfg.exists("/site_kinds") {
        if cfg.kind("/site_kinds") != Kind::Array || cfg.count("/site_kinds") == 0 {
            return invalid("/site_kinds", "a non-empty list of site kinds is required");
        }
        for i in 0..cfg.count("/site_kinds") {
            let at = path("/site_kinds").index(i).build();
            let known = cfg.str(&at).map_or(false, |k| SITE_KINDS.contains(&k.as_str()));
            if !known {
                return invalid(
                    &at,
                    &format!("not a site kind ({})", SITE_KINDS.join(", ")),
                );
            }
        }
    }
    for member in cfg.keys("") {
        if !["agency", "methods", "site_kinds"].contains(&member.as_str()) {
            return invalid(
                &path("").key(&member).build(),
                "not a member of this rule's configuration (agency, methods, site_kinds)",
            );
        }
    }
    Verdict::allow()
}

rule!(destruction_ar, validate_config = check_config);
