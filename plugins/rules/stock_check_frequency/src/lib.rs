//! Stock-check frequency (IATG 03.10 stock accounting; national rules set the period): every
//! holding at a site is fully counted at least every `days_max` days. An event that moves stock
//! at a site — a dispatch from it, a receipt into it, an issue or expenditure from it, a
//! destruction there — is refused when the site's last full count is older than that, or when
//! the site was never fully counted. A `stock_check` itself is never refused, so a site can
//! always be brought back in order.
//!
//! The rule asks the ledger (plugin ABI version 2, `last_full_count`): the answer is the
//! ledger as it was just before the judged event, so the verdict is the same at append and at
//! verify time. A site's last full count is the least recent of the last full counts of the
//! holdings (custodians) that hold stock there.
//!
//! Config: `{"days_max": 92, "kinds": ["transfer_dispatch", "transfer_receipt", ...]}` — the
//! longest interval between full counts, in days, and the event kinds judged.

use custodia_pdk::query::{self, Arg, Lookup};
use custodia_pdk::{rule_v2, Doc, Kind, Verdict};

/// The days allowed when the config does not say: one quarter.
const DAYS_MAX_DEFAULT: i64 = 92;

/// Judges the configured kinds at the site whose stock they change; allows every other kind.
pub fn stock_check_frequency(ctx: &Doc, cfg: &Doc) -> Verdict {
    let kind = ctx.str("/event/kind").unwrap_or_default();
    if !cfg.contains_str("/kinds", &kind) {
        return Verdict::allow();
    }
    let days_max = cfg.int("/days_max").unwrap_or(DAYS_MAX_DEFAULT);
    // The site the input names (receipts, issues, destructions…), else the sender's site.
    let pointer = if ctx.kind("/site/id") == Kind::Str {
        "/site/id"
    } else if ctx.kind("/event/from/site") == Kind::Str {
        "/event/from/site"
    } else {
        return Verdict::allow();
    };
    let site = ctx.str(pointer).unwrap_or_default();
    match query::last_full_count(Arg::Input(pointer)) {
        Lookup::Found(count) if count.days > days_max => Verdict::deny(
            "STOCK_CHECK_OVERDUE",
            format!(
                "site `{}` was last fully counted on {} ({} days before this {}); a full count \
                 is due every {} days",
                site, count.at, count.days, kind, days_max
            ),
        ),
        Lookup::Found(_) => Verdict::allow(),
        Lookup::Missing => Verdict::deny(
            "STOCK_CHECK_MISSING",
            format!(
                "site `{}` has a holding that was never fully counted; a full count is due \
                 every {} days",
                site, days_max
            ),
        ),
        // The ledger refuses events at unknown sites itself.
        Lookup::NotRegistered => Verdict::allow(),
    }
}

rule_v2!(stock_check_frequency);
