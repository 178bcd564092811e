//! `overdue`: weapons issued to persons (`weapon_issue`) and still out after their issue
//! period ended, at a given time; JSON lines, oldest due first. Prints nothing when none is.

use std::io::Write;

use custodia::Timestamp;

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// The time to judge at (RFC 3339 in UTC, `2026-06-01T20:00:00Z`).
    #[arg(long)]
    at: String,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let at = Timestamp::parse(&args.at)
        .map_err(|e| Failure::usage(format!("--at `{}`: {e}", args.at)))?;
    let ledger = global.open_read()?;
    for row in ledger.overdue_issues(&at)? {
        json_line(out, &row)?;
    }
    Ok(())
}
