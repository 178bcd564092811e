//! `inspections-due`: ammunition lots whose next surveillance inspection is due or overdue at a
//! given time (IATG 07.20); JSON lines, earliest due first. Prints nothing when none is.

use std::io::Write;

use custodia::Timestamp;

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// The time to judge at (RFC 3339 in UTC, `2026-06-01T00:00:00Z`).
    #[arg(long)]
    at: String,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let at = Timestamp::parse(&args.at)
        .map_err(|e| Failure::usage(format!("--at `{}`: {e}", args.at)))?;
    let ledger = global.open_read()?;
    for row in ledger.lots_due_inspection(&at)? {
        json_line(out, &row)?;
    }
    Ok(())
}
