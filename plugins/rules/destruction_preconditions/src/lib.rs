//! Destruction preconditions (MOSAIC 05.50, IATG 10.10): a prior authorisation covering every
//! unit destroyed, an allowed method, and, for seized material, a minimum holding period
//! between its registration and its destruction (e.g. while the case may still need evidence).
//!
//! Config: `{"methods_allowed": ["cutting", "open_burning"], "seized_holding_days_min": 90}`
//! (`methods_allowed` optional: when absent only the authorisation's own methods apply).

use custodia_pdk::{rule, Doc, Verdict};

const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &str, from: usize, to: usize) -> Option<i64> {
    let part = s.get(from..to)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp `YYYY-MM-DDTHH:MM:SS[.frac]Z`.
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(13) != Some(&b':')
    {
        return None;
    }
    if !s.ends_with('Z') && !s.ends_with('z') {
        return None;
    }
    let (y, mo, d) = (num(s, 0, 4)?, num(s, 5, 7)?, num(s, 8, 10)?);
    let (h, mi, sec) = (num(s, 11, 13)?, num(s, 14, 16)?, num(s, 17, 19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + sec)
}

/// Judges `destruction` events; every other kind is allowed.
pub fn destruction_preconditions(ctx: &Doc, cfg: &Doc) -> Verdict {
    if ctx.str("/event/kind").as_deref() != Some("destruction") {
        return Verdict::allow();
    }
    if !ctx.present("/authorisation") {
        return Verdict::deny(
            "AUTHORISATION_MISSING",
            "destruction has no prior authorisation",
        );
    }
    let auth_ref = ctx.str("/authorisation/reference").unwrap_or_default();
    if ctx.str("/event/authorisation") != ctx.str("/authorisation/id") {
        return Verdict::deny(
            "AUTHORISATION_MISMATCH",
            format!("destruction does not cite authorisation `{}`", auth_ref),
        );
    }
    let at = match ctx.str("/event/at").as_deref().and_then(parse_utc) {
        Some(t) => t,
        None => return Verdict::deny("TIMESTAMP_INVALID", "destruction has no valid `at` time"),
    };
    if let Some(auth_at) = ctx.str("/authorisation/at").as_deref().and_then(parse_utc) {
        if auth_at > at {
            return Verdict::deny(
                "AUTHORISATION_AFTER_DESTRUCTION",
                format!(
                    "authorisation `{}` is dated after the destruction",
                    auth_ref
                ),
            );
        }
    }

    // Every item and every lot quantity destroyed is covered by the authorisation.
    for item in ctx.strs("/event/items") {
        if !ctx.contains_str("/authorisation/items", &item) {
            return Verdict::deny(
                "AUTHORISATION_NOT_COVERING",
                format!(
                    "item `{}` is not covered by authorisation `{}`",
                    item, auth_ref
                ),
            );
        }
    }
    for i in 0..ctx.count("/event/lots") {
        let lot = ctx
            .str(&format!("/event/lots/{}/lot", i))
            .unwrap_or_default();
        let qty = ctx.int(&format!("/event/lots/{}/quantity", i)).unwrap_or(0);
        let mut authorised: i64 = 0;
        for j in 0..ctx.count("/authorisation/lots") {
            if ctx
                .str(&format!("/authorisation/lots/{}/lot", j))
                .as_deref()
                == Some(lot.as_str())
            {
                let q = ctx
                    .int(&format!("/authorisation/lots/{}/quantity", j))
                    .unwrap_or(0);
                authorised = authorised.saturating_add(q);
            }
        }
        if qty > authorised {
            return Verdict::deny(
                "AUTHORISATION_NOT_COVERING",
                format!(
                    "destruction of {} units of lot `{}` exceeds the {} authorised by `{}`",
                    qty, lot, authorised, auth_ref
                ),
            );
        }
    }

    // Method: allowed by the regulation and by this authorisation.
    let method = ctx.str("/event/method").unwrap_or_default();
    if cfg.exists("/methods_allowed") && !cfg.contains_str("/methods_allowed", &method) {
        return Verdict::deny(
            "METHOD_NOT_ALLOWED",
            format!("destruction method `{}` is not allowed", method),
        );
    }
    if ctx.exists("/authorisation/methods") && !ctx.contains_str("/authorisation/methods", &method)
    {
        return Verdict::deny(
            "METHOD_NOT_AUTHORISED",
            format!(
                "authorisation `{}` does not permit method `{}`",
                auth_ref, method
            ),
        );
    }

    // Holding period for seized material.
    let days_min = cfg.int("/seized_holding_days_min").unwrap_or(0);
    if days_min > 0 {
        for list in ["/items", "/lots"] {
            for i in 0..ctx.count(list) {
                if ctx.str(&format!("{}/{}/origin/kind", list, i)).as_deref() != Some("seized") {
                    continue;
                }
                let id = ctx.str(&format!("{}/{}/id", list, i)).unwrap_or_default();
                let registered = ctx
                    .str(&format!("{}/{}/registered_at", list, i))
                    .as_deref()
                    .and_then(parse_utc);
                let held_days = match registered {
                    Some(r) => (at - r).div_euclid(SECONDS_PER_DAY),
                    None => -1,
                };
                if held_days < days_min {
                    return Verdict::deny(
                        "HOLDING_PERIOD_NOT_ELAPSED",
                        format!(
                            "seized `{}` held {} days, {} required before destruction",
                            id, held_days, days_min
                        ),
                    );
                }
            }
        }
    }
    Verdict::allow()
}

rule!(destruction_preconditions);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_timestamps() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-03-01T00:00:01Z"), Some(951_868_801));
        assert_eq!(parse_utc("2026-06-15T14:00:00.250Z"), Some(1_781_532_000));
        assert_eq!(parse_utc("2026-06-15 14:00"), None);
        assert_eq!(parse_utc("2026-13-15T14:00:00Z"), None);
    }
}
