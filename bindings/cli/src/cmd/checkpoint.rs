//! `checkpoint`: the C2SP checkpoint (a signed note: origin, size, base64 root, and the log
//! key's signature line) of the latest tree head, or of the head of `--size N` events. What a
//! ledger publishes and witnesses cosign (`docs/TRUST.md`). Read-only.

use std::io::Write;

use crate::context::Global;
use crate::output::Failure;

#[derive(clap::Args)]
pub struct Args {
    /// The tree size (a size at which a head was signed: after each committed batch).
    #[arg(long)]
    size: Option<u64>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let ledger = global.open_read()?;
    let note = ledger.checkpoint(args.size)?;
    out.write_all(note.as_bytes())
        .map_err(|e| crate::output::write_failure("standard output", &e))
}
