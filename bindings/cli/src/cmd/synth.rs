//! `synth`: deterministic signed synthetic events (the generator behind `demo`), streamed as
//! JSON lines from the first actor registration on.

use std::io::Write;

use custodia::model::Date;
use custodia::testkit::{SYNTH_EVENTS_PER_DAY_DEFAULT, Synth};

use super::parse_day;
use crate::output::{Failure, line};

#[derive(clap::Args)]
pub struct Args {
    /// Number of events.
    #[arg(long)]
    events: u64,
    /// Seed: the same seed (and start) gives the same events, keys and signatures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The first simulated day, `YYYY-MM-DD` (UTC). About 150 events fall on a simulated day,
    /// and `append` refuses events dated more than a day after its clock: from the default
    /// start, about 640,000 events end before December 2026; start earlier for more (1988 at
    /// the earliest: the synthetic rifles are marked as made in 1987).
    #[arg(long, value_name = "DATE", value_parser = parse_day, default_value = "2015-01-01")]
    start: Date,
}

pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let mut synth = Synth::with_start(args.seed, SYNTH_EVENTS_PER_DAY_DEFAULT, &args.start)
        .map_err(|e| Failure::usage(format!("--start: {e}")))?;
    for n in 0..args.events {
        let event = synth
            .next_event()
            .map_err(|e| Failure::usage(format!("internal error: synthetic event {n}: {e}")))?;
        line(out, event.to_json())?;
    }
    Ok(())
}
