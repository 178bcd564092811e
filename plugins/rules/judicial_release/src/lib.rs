//! Judicial release of seized weapons. Seized arms leave an evidence store only by a court's
//! decision, and some decisions only after a holding period: El Salvador destroys seized arms
//! unclaimed for six months, under a judicial authorisation; Argentina destroys forfeited arms
//! and does not take them into service (see the national rules research in DESIGN.md).
//!
//! Judged:
//! - `judicial_order`: for stock registered as seized (`origin.kind` = `seized`), the decision
//!   must be one of `seized_decisions`; a decision in `holding_decisions` needs
//!   `holding_days_min` days between the seizure and the order's `ordered_on` day.
//! - a kind in `disposal_kinds` (destruction, export, deactivation, ...): stock registered as
//!   seized must carry a court's decision, i.e. a disposition in `court_dispositions`
//!   (`forfeited`, `pending_destruction`, which a `judicial_order` sets).
//!
//! Limitation (plugin ABI v1): the input document does not carry the day of the seizure. The
//! rule counts from the stock's `registered_at`, which for stock registered as seized is on or
//! after the seizure: the count can only be short, so the rule never lets an order through
//! early. Stock already on the books when it was seized (evidence held from state stock) has
//! no such bound: the rule warns `HOLDING_PERIOD_UNCHECKED` instead. ABI v2's host query "days
//! since an item's seizure" removes the limitation. Likewise the input does not say who set a
//! disposition: `pending_destruction` is set by a court's destruction order and also by a
//! `status_change`, so a ministry that must prove the court's order keeps `forfeited` alone in
//! `court_dispositions` (and has its courts order forfeiture before destruction).
//!
//! Config (every member required, no defaults):
//! `{"seized_decisions": ["forfeiture", "destruction", "return_to_owner"],
//!   "holding_decisions": ["forfeiture", "destruction"], "holding_days_min": 180,
//!   "disposal_kinds": ["destruction", "export_dispatch", "deactivation"],
//!   "court_dispositions": ["forfeited", "pending_destruction"]}`

use custodia_pdk::{path, rule, Doc, Verdict};

const CONFIG_MEMBERS: [&str; 5] = [
    "/seized_decisions",
    "/holding_decisions",
    "/holding_days_min",
    "/disposal_kinds",
    "/court_dispositions",
];

/// Days since 1970-01-01 of a `YYYY-MM-DD...` text (Howard Hinnant's algorithm).
pub fn day_number(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    Some(era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468)
}

/// A judicial order: decision allowed for seized stock, and the holding period.
fn judge_order(ctx: &Doc, cfg: &Doc) -> Verdict {
    let decision = ctx.str("/event/decision").unwrap_or_default();
    let order = ctx.str("/event/order").unwrap_or_default();
    let ordered = match ctx.str("/event/ordered_on").as_deref().and_then(day_number) {
        Some(d) => d,
        None => return Verdict::deny("ORDER_DATE_INVALID", "the order has no valid `ordered_on`"),
    };
    let days_min = cfg.int("/holding_days_min").unwrap_or(0);
    let timed = cfg.contains_str("/holding_decisions", &decision);
    let mut verdict = Verdict::allow();
    for list in ["/items", "/lots"] {
        for i in 0..ctx.count(list) {
            let stock = path(list).index(i);
            let id = ctx.str(&stock.clone().key("id")).unwrap_or_default();
            let seized = ctx.str_eq(&path(&stock).key("origin").key("kind"), "seized");
            if seized && !cfg.contains_str("/seized_decisions", &decision) {
                return Verdict::deny(
                    "JUDICIAL_DECISION_NOT_ALLOWED",
                    format!(
                        "order `{}`: `{}` of seized `{}` is not allowed",
                        order, decision, id
                    ),
                );
            }
            if !timed {
                continue;
            }
            if !seized {
                verdict.push_warning(
                    "HOLDING_PERIOD_UNCHECKED",
                    format!("`{}` was on the books before its seizure: the input does not carry the seizure day", id),
                );
                continue;
            }
            let registered = ctx.str(&stock.key("registered_at")).unwrap_or_default();
            let held = match day_number(&registered) {
                Some(r) => ordered - r,
                None => -1,
            };
            if held < days_min {
                return Verdict::deny(
                    "HOLDING_PERIOD_NOT_ELAPSED",
                    format!(
                        "order `{}`: seized `{}` held {} days, {} required before `{}`",
                        order, id, held, days_min, decision
                    ),
                );
            }
        }
    }
    verdict
}

/// A disposal: stock registered as seized carries a court's decision.
fn judge_disposal(ctx: &Doc, cfg: &Doc, kind: &str) -> Verdict {
    for list in ["/items", "/lots"] {
        for i in 0..ctx.count(list) {
            let stock = path(list).index(i);
            if !ctx.str_eq(&path(&stock).key("origin").key("kind"), "seized") {
                continue;
            }
            let disposition = ctx
                .str(&stock.clone().key("disposition"))
                .unwrap_or_default();
            if !cfg.contains_str("/court_dispositions", &disposition) {
                let id = ctx.str(&stock.key("id")).unwrap_or_default();
                return Verdict::deny(
                    "JUDICIAL_ORDER_MISSING",
                    format!(
                        "seized `{}` is `{}`: no court ordered its forfeiture or destruction before this {}",
                        id, disposition, kind
                    ),
                );
            }
        }
    }
    Verdict::allow()
}

/// Judges judicial orders and disposals of seized stock; every other event is allowed.
pub fn judicial_release(ctx: &Doc, cfg: &Doc) -> Verdict {
    if let Some(missing) = CONFIG_MEMBERS.iter().find(|m| !cfg.exists(m)) {
        return Verdict::deny(
            "JUDICIAL_RELEASE_CONFIG",
            format!(
                "the configuration lacks `{}`",
                missing.trim_start_matches('/')
            ),
        );
    }
    let kind = ctx.str("/event/kind").unwrap_or_default();
    if kind == "judicial_order" {
        judge_order(ctx, cfg)
    } else if cfg.contains_str("/disposal_kinds", &kind) {
        judge_disposal(ctx, cfg, &kind)
    } else {
        Verdict::allow()
    }
}

rule!(judicial_release);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2026-01-05T08:13:00Z"), Some(20_458));
        assert_eq!(day_number("2026-07-04"), Some(20_638));
        assert_eq!(day_number("2026-13-01"), None);
        assert_eq!(day_number("2026-1-05"), None);
    }
}
