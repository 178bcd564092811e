//! `vkey`: a C2SP verifier key, `name+keyid+base64(type || public key)`. Without `--key`, the
//! ledger's own log key (named by its origin); with `--key KEYFILE --name NAME`, the key in a
//! key file, as a log key (type 0x01) or with `--cosigner` as a witness's cosignature/v1 key
//! (type 0x04).

use std::io::Write;
use std::path::PathBuf;

use custodia::Signer;
use custodia::note::{KeyName, SignatureType, VerifierKey};

use crate::context::Global;
use crate::output::{Failure, line};

#[derive(clap::Args)]
pub struct Args {
    /// A key file (from `keygen`); without it, the ledger's log key.
    #[arg(long, value_name = "KEYFILE", requires = "name")]
    key: Option<PathBuf>,
    /// The key's name (a log's origin, or a witness's name such as `oas.example/witness-1`).
    #[arg(long)]
    name: Option<String>,
    /// A witness's cosigner key (cosignature/v1, type 0x04) instead of a log key.
    #[arg(long)]
    cosigner: bool,
}

pub fn run(global: &Global, args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let vkey = match (&args.key, &args.name) {
        (Some(path), Some(name)) => {
            let signer = Signer::read_key_file(path)?;
            let kind = if args.cosigner {
                SignatureType::CosignatureV1
            } else {
                SignatureType::Ed25519
            };
            let name = KeyName::new(name.clone())
                .map_err(|e| Failure::usage(format!("`--name {name}`: {e}")))?;
            VerifierKey::new(name, kind, *signer.public_key().as_bytes())
                .map_err(|e| Failure::usage(e.to_string()))?
        }
        _ => global.open_read()?.log_vkey()?,
    };
    line(out, &vkey.to_string())
}
