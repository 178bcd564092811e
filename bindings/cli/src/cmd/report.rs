//! `report`: the Arms Trade Treaty annual report's exports and imports (art. 13.3) by ATT
//! category and partner state, the destructions of a period with their totals by month, site
//! and method, and the tracing requests still owed an answer; as a table, JSON or CSV.

use std::io::Write;

use custodia::model::Date;
use custodia::{AttLine, AttReport, DestructionReport, TraceRequestRecord};

use super::parse_day;
use crate::context::Global;
use crate::output::{Align, Failure, Format, Table, csv_record, json_line, wire};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Exports (dispatched in the year, as delivered) and imports (entered in the year) of
    /// serialized items, by ATT category and partner state.
    Att(AttArgs),
    /// Each destruction of the period (method, site, authorisation, witnesses, certificate),
    /// then totals by month, site and method.
    Destruction(DestructionArgs),
    /// The tracing requests not yet answered (ITI), by deadline; with `--on`, whether each is
    /// overdue on that day.
    Tracing(TracingArgs),
}

#[derive(clap::Args)]
pub struct TracingArgs {
    /// The day to judge deadlines on, `YYYY-MM-DD` (a request is overdue after its deadline).
    #[arg(long, value_parser = parse_day)]
    on: Option<Date>,
    /// `table`, `json` (one array of `{"request", "requesting_state", "channel", "reference",
    /// "received_on", "deadline", "weapons", "recorded_at"}`, each with `"overdue"` when `--on`
    /// is given) or `csv`.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::Args)]
pub struct AttArgs {
    /// The calendar year.
    #[arg(long)]
    year: u16,
    /// `table`, `json` (`{"year", "exports": [...], "imports": [...]}`) or `csv` (one record
    /// per line, the flow in the first column).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::Args)]
pub struct DestructionArgs {
    /// First day, `YYYY-MM-DD`.
    #[arg(long, value_parser = parse_day)]
    from: Date,
    /// Last day (included), `YYYY-MM-DD`.
    #[arg(long, value_parser = parse_day)]
    to: Date,
    /// `table`, `json` (`{"from", "to", "destructions": [...], "totals": [...]}`) or `csv`
    /// (one record per destruction and per total, told apart by the first column).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(global: &Global, command: &Command, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    match command {
        Command::Att(args) => {
            let report = ledger.att_report(args.year)?;
            match args.format {
                Format::Json => json_line(out, &report),
                Format::Csv => att_csv(out, &report),
                Format::Table => att_table(out, &report),
            }
        }
        Command::Tracing(args) => {
            let open = ledger.open_trace_requests()?;
            tracing(out, &open, args)
        }
        Command::Destruction(args) => {
            let report = ledger.destruction_report(&args.from, &args.to)?;
            match args.format {
                Format::Json => json_line(out, &report),
                Format::Csv => destruction_csv(out, &report),
                Format::Table => destruction_table(out, &report),
            }
        }
    }
}

/// The lines of both flows: (flow, line).
fn att_lines(report: &AttReport) -> impl Iterator<Item = (&'static str, &AttLine)> {
    report
        .exports
        .iter()
        .map(|l| ("export", l))
        .chain(report.imports.iter().map(|l| ("import", l)))
}

/// The category's wire name, blank for none.
fn category(line: &AttLine) -> Result<String, Failure> {
    line.category
        .as_ref()
        .map(wire)
        .transpose()
        .map(Option::unwrap_or_default)
}

fn att_csv(out: &mut dyn Write, report: &AttReport) -> Result<(), Failure> {
    csv_record(
        out,
        &[
            "flow",
            "year",
            "category",
            "partner_state",
            "quantity",
            "types",
        ],
    )?;
    let year = report.year.to_string();
    for (flow, l) in att_lines(report) {
        csv_record(
            out,
            &[
                flow,
                &year,
                &category(l)?,
                &l.partner_state,
                &l.quantity.to_string(),
                &l.types.join("; "),
            ],
        )?;
    }
    Ok(())
}

fn att_table(out: &mut dyn Write, report: &AttReport) -> Result<(), Failure> {
    let mut table = Table::new(&[
        ("flow", Align::Left),
        ("category", Align::Left),
        ("partner", Align::Left),
        ("quantity", Align::Right),
        ("types", Align::Left),
    ]);
    for (flow, l) in att_lines(report) {
        let c = category(l)?;
        table.row(vec![
            flow.to_owned(),
            if c.is_empty() { "-".to_owned() } else { c },
            l.partner_state.clone(),
            l.quantity.to_string(),
            l.types.join("; "),
        ]);
    }
    table.write(out)
}

fn witnesses(w: &[custodia::model::Witness]) -> String {
    w.iter()
        .map(|w| format!("{} ({})", w.actor, w.agency))
        .collect::<Vec<_>>()
        .join("; ")
}

fn stock(d: &custodia::DestructionRecord) -> String {
    d.items
        .iter()
        .map(ToString::to_string)
        .chain(
            d.lots
                .iter()
                .map(|l| format!("{} x {}", l.lot, l.quantity.get())),
        )
        .collect::<Vec<_>>()
        .join("; ")
}

fn lot_units(d: &custodia::DestructionRecord) -> u64 {
    d.lots.iter().map(|l| l.quantity.get()).sum()
}

fn destruction_csv(out: &mut dyn Write, report: &DestructionReport) -> Result<(), Failure> {
    csv_record(
        out,
        &[
            "record",
            "period",
            "site",
            "method",
            "certificate",
            "event",
            "custodian",
            "authorisation",
            "authorisation_reference",
            "authorised_by",
            "witnesses",
            "stock",
            "destructions",
            "items",
            "lot_units",
        ],
    )?;
    for d in &report.destructions {
        csv_record(
            out,
            &[
                "destruction",
                d.at.as_str().get(..10).unwrap_or_default(),
                d.site.as_str(),
                &d.method,
                &d.certificate,
                &d.event.to_string(),
                d.custodian.as_str(),
                &d.authorisation.to_string(),
                &d.authorisation_reference,
                d.authorised_by.as_str(),
                &witnesses(&d.witnesses),
                &stock(d),
                "1",
                &d.items.len().to_string(),
                &lot_units(d).to_string(),
            ],
        )?;
    }
    for t in &report.totals {
        csv_record(
            out,
            &[
                "total",
                &t.month,
                t.site.as_str(),
                &t.method,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                &t.destructions.to_string(),
                &t.items.to_string(),
                &t.lot_units.to_string(),
            ],
        )?;
    }
    Ok(())
}

fn destruction_table(out: &mut dyn Write, report: &DestructionReport) -> Result<(), Failure> {
    let mut table = Table::new(&[
        ("date", Align::Left),
        ("site", Align::Left),
        ("method", Align::Left),
        ("certificate", Align::Left),
        ("authorisation", Align::Left),
        ("witnesses", Align::Left),
        ("items", Align::Right),
        ("lot units", Align::Right),
    ]);
    for d in &report.destructions {
        table.row(vec![
            d.at.as_str().get(..10).unwrap_or_default().to_owned(),
            d.site.to_string(),
            d.method.clone(),
            d.certificate.clone(),
            d.authorisation_reference.clone(),
            witnesses(&d.witnesses),
            d.items.len().to_string(),
            lot_units(d).to_string(),
        ]);
    }
    table.write(out)?;
    crate::output::line(out, "")?;
    let mut totals = Table::new(&[
        ("month", Align::Left),
        ("site", Align::Left),
        ("method", Align::Left),
        ("destructions", Align::Right),
        ("items", Align::Right),
        ("lot units", Align::Right),
    ]);
    for t in &report.totals {
        totals.row(vec![
            t.month.clone(),
            t.site.to_string(),
            t.method.clone(),
            t.destructions.to_string(),
            t.items.to_string(),
            t.lot_units.to_string(),
        ]);
    }
    totals.write(out)
}

/// Whether a request is overdue on `on` (after its deadline), when a day is given.
fn overdue(r: &TraceRequestRecord, on: Option<&Date>) -> Option<bool> {
    // Whole dates `YYYY-MM-DD` (checked when recorded and parsed) order as text.
    on.map(|d| d.as_str() > r.deadline.as_str())
}

/// The serial numbers a request asks about, `; `-separated (`?` for a weapon without one).
fn serials(r: &TraceRequestRecord) -> String {
    r.weapons
        .iter()
        .map(|w| w.serial.clone().unwrap_or_else(|| "?".to_owned()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn tracing(
    out: &mut dyn Write,
    open: &[TraceRequestRecord],
    args: &TracingArgs,
) -> Result<(), Failure> {
    let on = args.on.as_ref();
    let flag = |r: &TraceRequestRecord| match overdue(r, on) {
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
        None => String::new(),
    };
    match args.format {
        Format::Json => {
            let mut rows = Vec::with_capacity(open.len());
            for r in open {
                let mut v = serde_json::to_value(r).map_err(|e| {
                    Failure::usage(format!("internal error: cannot encode the output: {e}"))
                })?;
                if let (Some(late), Some(map)) = (overdue(r, on), v.as_object_mut()) {
                    map.insert("overdue".into(), serde_json::Value::Bool(late));
                }
                rows.push(v);
            }
            json_line(out, &rows)
        }
        Format::Csv => {
            csv_record(
                out,
                &[
                    "request",
                    "requesting_state",
                    "channel",
                    "reference",
                    "received_on",
                    "deadline",
                    "overdue",
                    "serials",
                ],
            )?;
            for r in open {
                csv_record(
                    out,
                    &[
                        &r.request.to_string(),
                        &r.requesting_state,
                        &wire(&r.channel)?,
                        &r.reference,
                        r.received_on.as_str(),
                        r.deadline.as_str(),
                        &flag(r),
                        &serials(r),
                    ],
                )?;
            }
            Ok(())
        }
        Format::Table => {
            let mut table = Table::new(&[
                ("deadline", Align::Left),
                ("overdue", Align::Left),
                ("state", Align::Left),
                ("channel", Align::Left),
                ("reference", Align::Left),
                ("received", Align::Left),
                ("serials", Align::Left),
                ("request", Align::Left),
            ]);
            for r in open {
                table.row(vec![
                    r.deadline.as_str().to_owned(),
                    flag(r),
                    r.requesting_state.clone(),
                    wire(&r.channel)?,
                    r.reference.clone(),
                    r.received_on.as_str().to_owned(),
                    serials(r),
                    r.request.to_string(),
                ]);
            }
            table.write(out)
        }
    }
}
