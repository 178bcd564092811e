//! Marking at registration and before transfer (UN ITI, Firearms Protocol, CIFTA): every
//! registered item carries the mandatory marking elements; imported items also carry the import
//! marking. Seized, surrendered or found weapons whose marks are missing or illegible are
//! recorded all the same (ITI: they are recorded, then marked or destroyed): their registration
//! gives a warning, and they may not be transferred — except to a forensic laboratory, or to
//! their destruction — until a `marking` event has marked them.
//!
//! Config: `{"mandatory": ["manufacturer", "country_of_manufacture", "serial"],
//! "import_mandatory": ["country", "year", "importer"], "recommended": ["year", "model", "calibre"],
//! "unmarked_origins": ["seized", "surrendered", "collected"]}`
//! (`recommended` optional: a missing one is a warning, not a denial; `unmarked_origins`
//! optional: the origins whose missing marks are recorded rather than refused — none when
//! absent).

use custodia_pdk::{rule, token, Doc, Kind, Verdict};

/// Whether `doc` holds a usable value (a non-empty string or a number) at `pointer`.
fn has(doc: &Doc, pointer: &str) -> bool {
    match doc.kind(pointer) {
        Kind::Str => !doc.str(pointer).unwrap_or_default().trim().is_empty(),
        Kind::Int | Kind::Number => true,
        _ => false,
    }
}

/// The mandatory elements missing from the marking at `base`.
fn missing<'a>(ctx: &Doc, base: &str, mandatory: &'a [String]) -> Vec<&'a str> {
    mandatory
        .iter()
        .filter(|f| !has(ctx, &format!("{}/{}", base, token(f))))
        .map(|f| f.as_str())
        .collect()
}

/// Judges `register_items`, `transfer_dispatch` and `export_dispatch`; every other kind is
/// allowed (a `destruction` included: an unmarked weapon may always be destroyed).
pub fn marking(ctx: &Doc, cfg: &Doc) -> Verdict {
    match ctx.str("/event/kind").as_deref() {
        Some("register_items") => registration(ctx, cfg),
        Some("transfer_dispatch") | Some("export_dispatch") => transfer(ctx, cfg),
        _ => Verdict::allow(),
    }
}

fn registration(ctx: &Doc, cfg: &Doc) -> Verdict {
    let mandatory = cfg.strs("/mandatory");
    let import_mandatory = cfg.strs("/import_mandatory");
    let recommended = cfg.strs("/recommended");
    let unmarked_origins = cfg.strs("/unmarked_origins");
    let event_origin = ctx.str("/event/origin/kind").unwrap_or_default();

    let mut verdict = Verdict::allow();
    for i in 0..ctx.count("/items") {
        let id = ctx.str(&format!("/items/{}/id", i)).unwrap_or_default();
        let base = format!("/items/{}/marking", i);
        let origin = ctx
            .str(&format!("/items/{}/origin/kind", i))
            .unwrap_or_else(|| event_origin.clone());
        let absent = missing(ctx, &base, &mandatory);
        if !absent.is_empty() {
            if unmarked_origins.iter().any(|o| *o == origin) {
                verdict.push_warning(
                    "MARKING_MISSING",
                    format!(
                        "{} item `{}` lacks marking elements: {}; record a `marking` event before any transfer other than to a forensic laboratory or to destruction",
                        origin,
                        id,
                        absent.join(", ")
                    ),
                );
                continue;
            }
            return Verdict::deny(
                "MARKING_INCOMPLETE",
                format!(
                    "item `{}` lacks marking elements: {}",
                    id,
                    absent.join(", ")
                ),
            );
        }
        if origin == "imported" {
            let absent = missing(ctx, &format!("{}/import", base), &import_mandatory);
            if !absent.is_empty() {
                return Verdict::deny(
                    "IMPORT_MARKING_INCOMPLETE",
                    format!(
                        "imported item `{}` lacks import marking elements: {}",
                        id,
                        absent.join(", ")
                    ),
                );
            }
        }
        let absent = missing(ctx, &base, &recommended);
        if !absent.is_empty() {
            verdict.push_warning(
                "MARKING_RECOMMENDED_MISSING",
                format!(
                    "item `{}` lacks recommended marking elements: {}",
                    id,
                    absent.join(", ")
                ),
            );
        }
    }
    verdict
}

/// An item registered without its mandatory marks (under `unmarked_origins`) moves only once a
/// `marking` event marked it, or to a forensic laboratory.
fn transfer(ctx: &Doc, cfg: &Doc) -> Verdict {
    let mandatory = cfg.strs("/mandatory");
    let unmarked_origins = cfg.strs("/unmarked_origins");
    let to_laboratory = ctx.str("/event/kind").as_deref() == Some("transfer_dispatch")
        && ctx.str("/destination/kind").as_deref() == Some("laboratory");
    if to_laboratory {
        return Verdict::allow();
    }
    for i in 0..ctx.count("/items") {
        let origin = ctx
            .str(&format!("/items/{}/origin/kind", i))
            .unwrap_or_default();
        if !unmarked_origins.iter().any(|o| *o == origin) {
            continue;
        }
        let absent = missing(ctx, &format!("/items/{}/marking", i), &mandatory);
        if absent.is_empty() || ctx.count(&format!("/items/{}/marks", i)) > 0 {
            continue;
        }
        let id = ctx.str(&format!("/items/{}/id", i)).unwrap_or_default();
        return Verdict::deny(
            "MARKING_REQUIRED",
            format!(
                "{} item `{}` lacks marking elements ({}) and has not been marked since: record a `marking` event first (only a transfer to a forensic laboratory, or destruction, may come before)",
                origin,
                id,
                absent.join(", ")
            ),
        );
    }
    Verdict::allow()
}

rule!(marking);
