//! `lineage`: the lots formed from a lot by splits and merges, transitively, with what each
//! received and how much of each was destroyed.

use std::io::Write;

use custodia::{Error, ErrorKind, LotId};

use crate::cmd::parse_id;
use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// The lot id (`lot:...`).
    #[arg(value_parser = parse_id::<LotId>)]
    lot: LotId,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let entries = ledger.lineage(&args.lot)?;
    if entries.is_empty() {
        return Err(Error::new(ErrorKind::UnknownReference {
            value: args.lot.to_string(),
        })
        .into());
    }
    for entry in &entries {
        json_line(out, entry)?;
    }
    Ok(())
}
