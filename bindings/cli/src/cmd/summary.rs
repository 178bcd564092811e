//! `summary`: the ledger at a glance, as the front door counts it. `demo` prints the same.

use std::io::Write;

use clap::ValueEnum;
use custodia::Summary;

use crate::context::Global;
use crate::output::{Align, Failure, Table, json_line};

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    /// One `what  value` line each.
    Table,
    /// One JSON object.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// `table` or `json`.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let summary = ledger.summary()?;
    match args.format {
        Format::Json => json_line(out, &summary),
        Format::Table => write_table(out, &summary),
    }
}

/// The summary as aligned `what  value` lines, no header.
pub fn write_table(out: &mut dyn Write, s: &Summary) -> Result<(), Failure> {
    let rules = if s.rules_in_force.is_empty() {
        "none".to_owned()
    } else {
        s.rules_in_force
            .iter()
            .map(|r| format!("{} {}", r.name, r.version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows: [(&str, String); 15] = [
        ("events", s.events.to_string()),
        ("actors", s.actors.to_string()),
        ("sites", s.sites.to_string()),
        ("lots", s.lots.to_string()),
        (
            "weapons",
            format!("{} ({} destroyed)", s.items, s.items_destroyed),
        ),
        ("units held", s.units_held.to_string()),
        ("units in transit", s.units_in_transit.to_string()),
        ("units destroyed", s.units_destroyed.to_string()),
        ("units lost", s.units_lost.to_string()),
        ("units stolen", s.units_stolen.to_string()),
        ("units in discrepancy", s.units_in_discrepancy.to_string()),
        ("open transfers", s.open_transfers.to_string()),
        ("rules in force", rules),
        (
            "tree head",
            format!("size {} root {}", s.tree_head.size, s.tree_head.root),
        ),
        ("origin", s.tree_head.origin.clone()),
    ];
    let mut table = Table::new(&[("WHAT", Align::Left), ("VALUE", Align::Left)]).without_header();
    for (what, value) in rows {
        table.row(vec![what.to_owned(), value]);
    }
    table.write(out)
}
