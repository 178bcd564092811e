//! Serial uniqueness at registration (UN ITI §8, Firearms Protocol art. 8: a unique marking
//! per weapon): a `register_items` may not register an item whose marking — manufacturer and
//! serial, compared as `custodia find` compares (spaces removed, case folded) — is already on
//! the books (as registered, or as a mark applied later), nor two items with the same marking.
//! A weapon lost or stolen and found again is not registered anew: it is recorded with
//! `recovery`. Items without a serial are left to the marking rule.
//!
//! The rule asks the ledger (plugin ABI version 2, `marking_registered`): the answer is the
//! ledger as it was just before the judged event, so the verdict is the same at append and at
//! verify time.
//!
//! Config: `{"compare_manufacturer": true}` — compare manufacturer and serial (`true`), or the
//! serial alone (`false`, for ministries whose serials are unique across manufacturers).

use custodia_pdk::query::{self, Arg};
use custodia_pdk::{path, rule_v2, Doc, Kind, Verdict};

/// The marking as compared: spaces removed, case folded.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// JSON text of a string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Judges `register_items`; allows every other kind.
pub fn serial_uniqueness(ctx: &Doc, cfg: &Doc) -> Verdict {
    if ctx.str("/event/kind").as_deref() != Some("register_items") {
        return Verdict::allow();
    }
    let with_manufacturer = cfg.bool("/compare_manufacturer").unwrap_or(true);
    let mut seen: Vec<(String, String, String)> = Vec::new();
    for i in 0..ctx.count("/event/items") {
        let item = path("/event/items").index(i);
        let id = ctx.str(&item.clone().key("id")).unwrap_or_default();
        let marking = item.key("marking").build();
        let serial_ptr = path(&marking).key("serial").build();
        if ctx.kind(&serial_ptr) != Kind::Str {
            continue;
        }
        let serial = ctx.str(&serial_ptr).unwrap_or_default();
        if serial.trim().is_empty() {
            continue;
        }
        let manufacturer = if with_manufacturer {
            ctx.str(&path(&marking).key("manufacturer").build())
        } else {
            None
        };
        let key = (
            manufacturer.as_deref().map(normalise).unwrap_or_default(),
            normalise(&serial),
        );
        if let Some((_, _, first)) = seen.iter().find(|(m, s, _)| (m, s) == (&key.0, &key.1)) {
            return Verdict::deny(
                "SERIAL_REPEATED",
                format!(
                    "items `{}` and `{}` of this registration have the same marking (serial `{}`)",
                    first, id, serial
                ),
            );
        }
        let existing = if with_manufacturer {
            query::marking_registered(Arg::Input(&marking))
        } else {
            query::marking_registered(Arg::Text(&format!("{{\"serial\":{}}}", json_string(&serial))))
        };
        if let Some(existing) = existing {
            return Verdict::deny(
                "SERIAL_ALREADY_REGISTERED",
                format!(
                    "item `{}` has the marking of `{}`, already on the books (serial `{}`{}); a \
                     weapon found again is recorded with `recovery`",
                    id,
                    existing,
                    serial,
                    match &manufacturer {
                        Some(m) => format!(", manufacturer `{}`", m),
                        None => String::new(),
                    }
                ),
            );
        }
        seen.push((key.0, key.1, id));
    }
    Verdict::allow()
}

rule_v2!(serial_uniqueness);
