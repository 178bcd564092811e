//! `sign`: signs unsigned events (JSON lines without `id` and `signatures`). Absent or empty
//! `parents` are filled from the ledger (`--ledger`, read-only) and from the events before it
//! in the input, so a whole batch can be signed before it is appended. No rule runs here:
//! rules judge events when they are appended, so `--plugins` is not needed (and not loaded).
//! Nothing is written unless every event was signed.

use std::io::Write;
use std::path::PathBuf;

use custodia::{BATCH_EVENTS_MAX, ErrorCode, Ledger, Options, Signer};

use crate::context::Global;
use crate::input::Input;
use crate::output::{Failure, OutputFile, write_failure};

#[derive(clap::Args)]
pub struct Args {
    /// JSON lines file of events without `id` and `signatures`, or `-` for standard input.
    events: String,
    /// Key files of the signers: the recording actor's first, then co-signers.
    #[arg(long = "key", value_name = "KEYFILE", required = true)]
    keys: Vec<PathBuf>,
    /// Write the signed events here instead of standard output (only if all were signed).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let signers = args
        .keys
        .iter()
        .map(|k| Signer::read_key_file(k))
        .collect::<Result<Vec<_>, _>>()?;
    let signer_refs: Vec<&Signer> = signers.iter().collect();
    // Without a ledger, the events are signed as the start of a new one.
    let ledger = match &global.ledger {
        Some(_) => global.open_read()?,
        None => Ledger::in_memory(Options::new())?,
    };
    let mut input = Input::open(&args.events)?;
    let batch = input.next_batch(BATCH_EVENTS_MAX)?;
    if batch.is_empty() {
        return Err(Failure::refused(format!("no events in {}", input.name()))
            .with_code(ErrorCode::BatchEmpty));
    }
    if !input.next_batch(1)?.is_empty() {
        return Err(Failure::refused(format!(
            "{} holds more than {BATCH_EVENTS_MAX} events, the most one batch takes",
            input.name(),
        ))
        .with_code(ErrorCode::BatchTooLarge));
    }
    let signed = ledger
        .sign_json_lines(&batch.bytes, &signer_refs)
        .map_err(|e| input.error_in(e, &batch))?;
    let mut text = String::new();
    for event in &signed {
        text.push_str(event.to_json());
        text.push('\n');
    }
    match &args.output {
        None => out
            .write_all(text.as_bytes())
            .map_err(|e| write_failure("standard output", &e)),
        Some(path) => {
            let mut file = OutputFile::create(path)?;
            file.writer()
                .write_all(text.as_bytes())
                .map_err(|e| write_failure(&format!("`{}`", path.display()), &e))?;
            file.commit()
        }
    }
}
