//! `trace`: every event that touched an item or lot, oldest first.

use std::io::Write;

use custodia::{Error, ErrorKind};

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// Item or lot id (`item:...`, `lot:...`).
    id: String,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let entries = ledger.trace(&args.id)?;
    if entries.is_empty() {
        // No event touched it: as far as the ledger knows, it does not exist.
        return Err(Error::new(ErrorKind::UnknownReference {
            value: args.id.clone(),
        })
        .into());
    }
    for entry in &entries {
        json_line(out, entry)?;
    }
    Ok(())
}
