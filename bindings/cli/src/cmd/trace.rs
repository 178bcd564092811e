//! `trace`: every event that touched an item or lot, oldest first; or one page of them.

use std::io::Write;

use custodia::{Error, ErrorKind};

use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// Item or lot id (`item:...`, `lot:...`).
    id: String,
    /// One page of at most this many events (1 to 250) instead of the whole history, which
    /// has no bound (a duty rifle issued every working day gains thousands of events).
    #[arg(long)]
    limit: Option<u32>,
    /// With `--limit`: the events after this position (the last `index` of the page before).
    #[arg(long, requires = "limit")]
    after: Option<u64>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let entries = match args.limit {
        Some(limit) => ledger.trace_page(&args.id, args.after, limit)?,
        None => ledger.trace(&args.id)?,
    };
    // No event touched it: as far as the ledger knows, it does not exist. (A page after a
    // position may be empty: that is the end of the history, not an unknown stock.)
    if entries.is_empty() && args.after.is_none() {
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
