//! The notebook view of a ledger (`Ledger._repr_html_`): a small table of its summary.

use custodia::Summary;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Thousands separated by thin spaces, as the summary is read at a glance.
fn number(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// What a closed ledger shows.
pub(crate) fn closed(path: &str) -> String {
    format!(
        "<p>custodia ledger <code>{}</code> (closed)</p>",
        escape(path)
    )
}

/// An HTML table: file, origin, counts, lot units by account, rules and tree head.
pub(crate) fn summary_table(path: &str, s: &Summary) -> String {
    let root = s.tree_head.root.to_hex();
    let rules = if s.rules_in_force.is_empty() {
        "none".to_owned()
    } else {
        s.rules_in_force
            .iter()
            .map(|r| format!("{} {}", r.name, r.version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows: [(&str, String); 13] = [
        ("file", path.to_owned()),
        ("origin", s.tree_head.origin.clone()),
        ("events", number(s.events)),
        (
            "actors / sites",
            format!("{} / {}", number(s.actors), number(s.sites)),
        ),
        ("lots", number(s.lots)),
        (
            "items (destroyed)",
            format!("{} ({})", number(s.items), number(s.items_destroyed)),
        ),
        ("lot units held", number(s.units_held)),
        ("lot units in transit", number(s.units_in_transit)),
        ("lot units destroyed", number(s.units_destroyed)),
        (
            "lot units lost / stolen",
            format!("{} / {}", number(s.units_lost), number(s.units_stolen)),
        ),
        ("open transfers", number(s.open_transfers)),
        ("rules in force", rules),
        (
            "tree head",
            format!(
                "size {}, root {}…",
                number(s.tree_head.size),
                root.get(..16).unwrap_or(&root)
            ),
        ),
    ];
    let mut html = String::from(
        "<table class=\"custodia-ledger\"><thead><tr><th colspan=\"2\" style=\"text-align:left\">custodia ledger</th></tr></thead><tbody>",
    );
    for (k, v) in rows {
        html.push_str(&format!(
            "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:left\">{}</td></tr>",
            escape(k),
            escape(&v)
        ));
    }
    html.push_str("</tbody></table>");
    html
}
