//! `migrate`: upgrades a ledger file of format version 1 to the current format. Format 1 kept
//! the log key's secret in the file; the migration takes it out and writes it to a key file
//! (mode 0600) instead. The old file stays beside the new one as `FILE.v1`.

use std::io::Write;
use std::path::PathBuf;

use custodia::Ledger;

use crate::context::Global;
use crate::output::{Failure, line};

#[derive(clap::Args)]
pub struct Args {
    /// The new key file for the log key (refuses an existing path).
    #[arg(long, value_name = "KEYFILE")]
    out: PathBuf,
    /// The log's origin for its checkpoints. Default: `custodia.invalid/` and the first 16 hex
    /// digits of the log key.
    #[arg(long)]
    origin: Option<String>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let path = global.ledger_path()?;
    // The key can only be written after the migration returns it: make sure it can be, first.
    if args.out.symlink_metadata().is_ok() {
        return Err(Failure::usage(format!(
            "`{}` already exists; refusing to overwrite it (the log key goes there)",
            args.out.display()
        )));
    }
    // The key file is written before the files are swapped: if it cannot be, nothing changes.
    let migration = Ledger::migrate(path, args.origin.as_deref(), Some(&args.out))?;
    line(
        out,
        &format!(
            "migrated `{}`: {} events, root {}; the format-1 file is kept as `{}` and still holds the log key's secret: keep it as safe as the key file, or destroy it",
            path.display(),
            migration.events,
            migration.root,
            migration.backup.display()
        ),
    )?;
    line(
        out,
        &format!(
            "wrote the log key `{}` to `{}` (mode 0600): give it with `--log-key` to append",
            migration.log_key.public_key(),
            args.out.display()
        ),
    )
}
