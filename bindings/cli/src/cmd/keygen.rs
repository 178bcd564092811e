//! `keygen`: a new Ed25519 key file, readable by its owner only.

use std::io::Write;
use std::path::PathBuf;

use custodia::{ActorId, Signer};

use crate::cmd::parse_id;
use crate::output::{Failure, line};

#[derive(clap::Args)]
pub struct Args {
    /// The key file to write (mode 0600; refuses an existing path or a symbolic link).
    #[arg(long, short, value_name = "KEYFILE")]
    out: PathBuf,
    /// The actor the key belongs to (recorded in the file).
    #[arg(long, value_parser = parse_id::<ActorId>)]
    actor: Option<ActorId>,
}

pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let signer = Signer::generate();
    signer.write_key_file(&args.out, args.actor.as_ref().map(ActorId::as_str))?;
    line(out, &signer.public_key().to_string())
}
