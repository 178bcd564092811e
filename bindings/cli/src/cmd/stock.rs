//! `stock`: stock on hand per site and custodian, with hazard classification and net explosive
//! quantity, and totals per site and hazard division.

use std::io::Write;

use custodia::model::HazardDivision;
use custodia::{SiteId, StockFilter, StockOnHand};

use crate::cmd::parse_id;
use crate::context::Global;
use crate::output::{Align, Failure, Format, Table, csv_record, json_line, line, opt, wire};

#[derive(clap::Args)]
pub struct Args {
    /// Only this site.
    #[arg(long, value_parser = parse_id::<SiteId>)]
    site: Option<SiteId>,
    /// Only lots whose nomenclature (or items whose type) contains this text, ignoring case.
    #[arg(long)]
    nomenclature: Option<String>,
    /// Only this UN hazard division (`1.1` to `1.6`).
    #[arg(long, value_parser = parse_division)]
    division: Option<HazardDivision>,
    /// `table` (lines, then totals), `json` (`{"lines": [...], "totals": [...]}`) or `csv`
    /// (one record per line and per total, told apart by the first column).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn parse_division(value: &str) -> Result<HazardDivision, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|_| {
        format!("`{value}` is not a hazard division: use 1.1, 1.2, 1.3, 1.4, 1.5 or 1.6")
    })
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let stock = ledger.stock_on_hand(&StockFilter {
        site: args.site.clone(),
        nomenclature: args.nomenclature.clone(),
        hazard_division: args.division,
    })?;
    match args.format {
        Format::Json => json_line(out, &stock),
        Format::Csv => write_csv(out, &stock),
        Format::Table => write_table(out, &stock),
    }
}

/// Blank for none, else the wire text (`1.1`, `D`).
fn cell<T: serde::Serialize>(value: Option<&T>) -> Result<String, Failure> {
    value.map(wire).transpose().map(Option::unwrap_or_default)
}

fn write_csv(out: &mut dyn Write, stock: &StockOnHand) -> Result<(), Failure> {
    csv_record(
        out,
        &[
            "record",
            "site",
            "custodian",
            "kind",
            "stock",
            "description",
            "lot_number",
            "unit",
            "hazard_division",
            "compatibility_group",
            "condition",
            "disposition",
            "units",
            "neq_mg",
        ],
    )?;
    for l in &stock.lines {
        csv_record(
            out,
            &[
                "line",
                l.site.as_str(),
                l.custodian.as_str(),
                l.kind.as_str(),
                &l.stock,
                &l.description,
                &opt(l.lot_number.as_ref()),
                &l.unit,
                &cell(l.hazard_division.as_ref())?,
                &cell(l.compatibility_group.as_ref())?,
                &wire(&l.condition)?,
                &wire(&l.disposition)?,
                &l.units.to_string(),
                &l.neq_mg.to_string(),
            ],
        )?;
    }
    for t in &stock.totals {
        csv_record(
            out,
            &[
                "total",
                t.site.as_str(),
                "",
                "",
                "",
                "",
                "",
                "",
                &cell(t.hazard_division.as_ref())?,
                "",
                "",
                "",
                &t.units.to_string(),
                &t.neq_mg.to_string(),
            ],
        )?;
    }
    Ok(())
}

fn write_table(out: &mut dyn Write, stock: &StockOnHand) -> Result<(), Failure> {
    let mut lines = Table::new(&[
        ("SITE", Align::Left),
        ("CUSTODIAN", Align::Left),
        ("STOCK", Align::Left),
        ("DESCRIPTION", Align::Left),
        ("LOT NUMBER", Align::Left),
        ("HAZARD", Align::Left),
        ("CONDITION", Align::Left),
        ("DISPOSITION", Align::Left),
        ("UNITS", Align::Right),
        ("UNIT", Align::Left),
        ("NEQ (mg)", Align::Right),
    ]);
    for l in &stock.lines {
        let hazard = format!(
            "{}{}",
            cell(l.hazard_division.as_ref())?,
            cell(l.compatibility_group.as_ref())?
        );
        lines.row(vec![
            l.site.to_string(),
            l.custodian.to_string(),
            l.stock.clone(),
            l.description.clone(),
            opt(l.lot_number.as_ref()),
            hazard,
            wire(&l.condition)?,
            wire(&l.disposition)?,
            l.units.to_string(),
            l.unit.clone(),
            l.neq_mg.to_string(),
        ]);
    }
    lines.write(out)?;
    line(out, "")?;
    let mut totals = Table::new(&[
        ("SITE", Align::Left),
        ("DIVISION", Align::Left),
        ("UNITS", Align::Right),
        ("NEQ (mg)", Align::Right),
    ]);
    for t in &stock.totals {
        let division = match &t.hazard_division {
            Some(d) => wire(d)?,
            None => "none".to_owned(),
        };
        totals.row(vec![
            t.site.to_string(),
            division,
            t.units.to_string(),
            t.neq_mg.to_string(),
        ]);
    }
    totals.write(out)
}
