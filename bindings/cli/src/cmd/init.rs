//! `init`: a new, empty ledger. The log key that signs its tree heads stays outside the file:
//! it comes from `--log-key KEYFILE` (or `CUSTODIA_LOG_KEY`), or `--generate-key KEYFILE`
//! writes a fresh one first.

use std::io::Write;
use std::path::PathBuf;

use custodia::{Ledger, Options, Signer};

use crate::context::Global;
use crate::output::{Failure, line};

#[derive(clap::Args)]
pub struct Args {
    /// The log's origin, the first line of its checkpoints (C2SP tlog-checkpoint): a
    /// schema-less URL naming the log, e.g. `mindef.example/custodia/armoury-1`. Default:
    /// `custodia.invalid/` and the first 16 hex digits of the log key.
    #[arg(long)]
    origin: Option<String>,
    /// Write a fresh log key to this new key file (mode 0600) and sign with it, instead of
    /// `--log-key`.
    #[arg(long, value_name = "KEYFILE")]
    generate_key: Option<PathBuf>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let path = global.ledger_path()?;
    let (key, written) = match (&args.generate_key, &global.log_key) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage(
                "give the log key with `--log-key` (or `CUSTODIA_LOG_KEY`) or make one with `--generate-key`, not both",
            ));
        }
        (None, None) => {
            return Err(Failure::usage(
                "a new ledger needs the log key that signs its tree heads: give `--log-key KEYFILE` (from `custodia keygen`), set `CUSTODIA_LOG_KEY`, or use `--generate-key KEYFILE`",
            ));
        }
        (None, Some(file)) => (Signer::read_key_file(file)?, None),
        (Some(file), None) => {
            let key = Signer::generate();
            key.write_key_file(file, None)?;
            (key, Some(file))
        }
    };
    let public = key.public_key();
    let mut options = Options::new().log_key(key);
    if let Some(origin) = &args.origin {
        options = options.origin(origin.clone());
    }
    let ledger = match Ledger::create(path, options) {
        Ok(ledger) => ledger,
        Err(e) => {
            if let Some(file) = written {
                // The key was made for this ledger only, and it was not created.
                let _ = std::fs::remove_file(file);
            }
            return Err(e.into());
        }
    };
    line(
        out,
        &format!(
            "created ledger `{}` with origin `{}`; tree heads are signed by `{public}`",
            path.display(),
            ledger.origin()
        ),
    )?;
    if let Some(file) = written {
        line(
            out,
            &format!(
                "wrote the log key to `{}` (mode 0600): keep it to append",
                file.display()
            ),
        )?;
    }
    Ok(())
}
