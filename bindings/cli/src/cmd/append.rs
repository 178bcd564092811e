//! `append`: signed events from JSON lines, as one all-or-nothing batch, or in all-or-nothing
//! batches of `--batch-size` events. Needs the log key.

use std::io::Write;

use custodia::{BATCH_EVENTS_MAX, ErrorCode};

use crate::context::Global;
use crate::input::{Input, LineTracker};
use crate::output::{Failure, line, warn};

#[derive(clap::Args)]
pub struct Args {
    /// JSON lines file, or `-` for standard input.
    events: String,
    /// Append in all-or-nothing batches of N events (at most 100 000) instead of all at once;
    /// a refused batch leaves the batches before it appended.
    #[arg(long, value_name = "N", value_parser = parse_batch_size)]
    batch_size: Option<usize>,
    /// Succeed when the input holds no event (otherwise an error: "no events in FILE").
    #[arg(long)]
    allow_empty: bool,
}

fn parse_batch_size(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=BATCH_EVENTS_MAX).contains(&n) => Ok(n),
        _ => Err(format!("must be a number from 1 to {BATCH_EVENTS_MAX}")),
    }
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let mut ledger = global.open_write()?;
    let mut input = Input::open(&args.events)?;
    if args.batch_size.is_none() {
        return one_batch(&mut ledger, input, args, out);
    }
    let batch_events = args.batch_size.unwrap_or(BATCH_EVENTS_MAX);
    let mut appended = 0u64;
    loop {
        let batch = input.next_batch(batch_events)?;
        if batch.is_empty() {
            break;
        }
        if args.batch_size.is_none() && !input.next_batch(1)?.is_empty() {
            return Err(Failure::refused(format!(
                "{} holds more than {BATCH_EVENTS_MAX} events, the most one batch takes; nothing was appended (use `--batch-size N`)",
                input.name(),
            ))
            .with_code(ErrorCode::BatchTooLarge));
        }
        match ledger.append_json_lines(&batch.bytes) {
            Ok(report) => {
                appended += report.events.len() as u64;
                for event in report.events {
                    for w in event.warnings {
                        warn(&format!(
                            "event {} `{}`: rule `{}`: {}: {}",
                            event.index, event.id, w.rule, w.code, w.message
                        ));
                    }
                }
            }
            Err(e) => {
                let failure = input.error_in(e, &batch);
                return Err(if appended == 0 {
                    failure.note("nothing was appended")
                } else {
                    failure.note(format!(
                        "nothing of this batch was appended ({appended} events of earlier batches were)"
                    ))
                });
            }
        }
    }
    if appended == 0 && !args.allow_empty {
        return Err(Failure::refused(format!("no events in {}", input.name()))
            .with_code(ErrorCode::BatchEmpty));
    }
    line(
        out,
        &format!(
            "appended {appended} events; the ledger holds {}",
            ledger.len()?
        ),
    )
}

/// The whole input as one batch, streamed through the front door: a line too long or an event
/// by an unknown signer is refused as soon as it is read, before the rest of the input.
fn one_batch(
    ledger: &mut custodia::Ledger,
    input: Input,
    args: &Args,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    let name = input.name().to_owned();
    let mut reader = LineTracker::new(input);
    match ledger.append_reader(&mut reader) {
        Ok(report) => {
            for event in &report.events {
                for w in &event.warnings {
                    warn(&format!(
                        "event {} `{}`: rule `{}`: {}: {}",
                        event.index, event.id, w.rule, w.code, w.message
                    ));
                }
            }
            line(
                out,
                &format!(
                    "appended {} events; the ledger holds {}",
                    report.events.len(),
                    report.ledger_len
                ),
            )
        }
        Err(e) if e.code() == ErrorCode::BatchEmpty => {
            if args.allow_empty {
                line(
                    out,
                    &format!("appended 0 events; the ledger holds {}", ledger.len()?),
                )
            } else {
                Err(Failure::refused(format!("no events in {name}"))
                    .with_code(ErrorCode::BatchEmpty))
            }
        }
        Err(e) => {
            let at = e.index().and_then(|i| reader.line_of(i));
            let failure = match at {
                Some(l) => Failure::from(e.with_index(None)).context(format!("{name} line {l}")),
                None => Failure::from(e),
            };
            Err(failure.note("nothing was appended"))
        }
    }
}
