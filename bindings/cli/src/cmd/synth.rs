//! `synth`: deterministic signed synthetic events (the generator behind `demo`), streamed as
//! JSON lines from the first actor registration on.

use std::io::Write;

use custodia::testkit::Synth;

use crate::output::{Failure, line};

#[derive(clap::Args)]
pub struct Args {
    /// Number of events.
    #[arg(long)]
    events: u64,
    /// Seed: the same seed gives the same events, keys and signatures.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let mut synth = Synth::new(args.seed);
    for n in 0..args.events {
        let event = synth
            .next_event()
            .map_err(|e| Failure::usage(format!("internal error: synthetic event {n}: {e}")))?;
        line(out, event.to_json())?;
    }
    Ok(())
}
