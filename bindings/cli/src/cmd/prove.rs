//! `prove`: an inclusion proof (RFC 9162) of one event.

use std::io::Write;

use custodia::EventId;

use crate::cmd::parse_id;
use crate::context::Global;
use crate::output::{Failure, json_line};

#[derive(clap::Args)]
pub struct Args {
    /// The event id (64 hex digits).
    #[arg(value_parser = parse_id::<EventId>)]
    event_id: EventId,
    /// Tree size to prove against (default: the whole log).
    #[arg(long)]
    size: Option<u64>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    json_line(out, &ledger.inclusion_proof(&args.event_id, args.size)?)
}
