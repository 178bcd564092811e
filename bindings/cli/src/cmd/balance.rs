//! `balance`: every non-zero balance, or those at a site or of one stock, as a table, JSON or
//! CSV.

use std::io::Write;

use custodia::{BalanceFilter, SiteId};

use crate::cmd::parse_id;
use crate::context::Global;
use crate::output::{Align, Failure, Format, Table, csv_record, json_line, opt};

#[derive(clap::Args)]
pub struct Args {
    /// Only the holdings at this site.
    #[arg(long, value_parser = parse_id::<SiteId>)]
    site: Option<SiteId>,
    /// Only this item or lot (`item:...`, `lot:...`).
    #[arg(long)]
    stock: Option<String>,
    /// `table` (aligned columns), `json` (one array) or `csv` (with a header row).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let rows = ledger.balances(&BalanceFilter {
        site: args.site.clone(),
        stock: args.stock.clone(),
    })?;
    match args.format {
        Format::Json => json_line(out, &rows),
        Format::Csv => {
            csv_record(
                out,
                &["account", "kind", "stock", "site", "custodian", "units"],
            )?;
            for r in &rows {
                csv_record(
                    out,
                    &[
                        &r.account,
                        r.kind.as_str(),
                        &r.stock,
                        &opt(r.site.as_ref()),
                        &opt(r.custodian.as_ref()),
                        &r.units.to_string(),
                    ],
                )?;
            }
            Ok(())
        }
        Format::Table => {
            let mut table = Table::new(&[
                ("ACCOUNT", Align::Left),
                ("KIND", Align::Left),
                ("STOCK", Align::Left),
                ("UNITS", Align::Right),
            ]);
            for r in &rows {
                table.row(vec![
                    r.account.clone(),
                    r.kind.as_str().to_owned(),
                    r.stock.clone(),
                    r.units.to_string(),
                ]);
            }
            table.write(out)
        }
    }
}
