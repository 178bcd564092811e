//! `neq`: net explosive quantity per site and hazard division, in milligrams, held at each site
//! and summed over the site and every site under it; JSON lines by site, then division.
//! Prints nothing when nothing explosive is held.

use std::io::Write;

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {}

pub fn run(global: &Global, _args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    for row in ledger.neq_totals()? {
        json_line(out, &row)?;
    }
    Ok(())
}
