//! Marking completeness at registration (UN ITI, Firearms Protocol, CIFTA): every registered
//! item carries the mandatory marking elements; imported items also carry the import marking.
//!
//! Config: `{"mandatory": ["manufacturer", "country_of_manufacture", "serial"],
//! "import_mandatory": ["country", "year", "importer"], "recommended": ["year", "model", "calibre"]}`
//! (`recommended` optional: a missing one is a warning, not a denial).

use custodia_pdk::{rule, token, Doc, Kind, Verdict};

/// Whether `doc` holds a usable value (a non-empty string or a number) at `pointer`.
fn has(doc: &Doc, pointer: &str) -> bool {
    match doc.kind(pointer) {
        Kind::Str => !doc.str(pointer).unwrap_or_default().trim().is_empty(),
        Kind::Int | Kind::Number => true,
        _ => false,
    }
}

/// Judges `register_items` events; every other kind is allowed.
pub fn marking(ctx: &Doc, cfg: &Doc) -> Verdict {
    if ctx.str("/event/kind").as_deref() != Some("register_items") {
        return Verdict::allow();
    }
    let mandatory = cfg.strs("/mandatory");
    let import_mandatory = cfg.strs("/import_mandatory");
    let recommended = cfg.strs("/recommended");
    let event_origin = ctx.str("/event/origin/kind").unwrap_or_default();

    let mut verdict = Verdict::allow();
    for i in 0..ctx.count("/items") {
        let id = ctx.str(&format!("/items/{}/id", i)).unwrap_or_default();
        let base = format!("/items/{}/marking", i);
        let missing: Vec<&str> = mandatory
            .iter()
            .filter(|f| !has(ctx, &format!("{}/{}", base, token(f))))
            .map(|f| f.as_str())
            .collect();
        if !missing.is_empty() {
            return Verdict::deny(
                "MARKING_INCOMPLETE",
                format!(
                    "item `{}` lacks marking elements: {}",
                    id,
                    missing.join(", ")
                ),
            );
        }
        let origin = ctx
            .str(&format!("/items/{}/origin/kind", i))
            .unwrap_or_else(|| event_origin.clone());
        if origin == "imported" {
            let missing: Vec<&str> = import_mandatory
                .iter()
                .filter(|f| !has(ctx, &format!("{}/import/{}", base, token(f))))
                .map(|f| f.as_str())
                .collect();
            if !missing.is_empty() {
                return Verdict::deny(
                    "IMPORT_MARKING_INCOMPLETE",
                    format!(
                        "imported item `{}` lacks import marking elements: {}",
                        id,
                        missing.join(", ")
                    ),
                );
            }
        }
        let absent: Vec<&str> = recommended
            .iter()
            .filter(|f| !has(ctx, &format!("{}/{}", base, token(f))))
            .map(|f| f.as_str())
            .collect();
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

rule!(marking);
