//! `consistency`: a consistency proof (RFC 9162) between two tree sizes.

use std::io::Write;

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// The older tree size.
    #[arg(long)]
    from: u64,
    /// The newer tree size (default: the whole log).
    #[arg(long)]
    to: Option<u64>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    json_line(out, &ledger.consistency_proof(args.from, args.to)?)
}
