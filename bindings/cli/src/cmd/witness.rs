//! `witness`: act as a C2SP witness for logs whose verifier keys it is given. `cosign` checks
//! one checkpoint (the log's signature, and a consistency proof from the last checkpoint this
//! witness cosigned for that origin) and prints it with the witness's `cosignature/v1` line
//! added, recording it atomically; it refuses a bad signature, a missing or wrong proof, a
//! smaller tree (rollback) and another root at the same size (fork), leaving its state as it
//! was. `serve` answers tlog-witness's `POST /add-checkpoint` over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;

use custodia::note::{KeyName, SignatureType, SignerKey, VerifierKey};
use custodia::witness::{AddCheckpoint, Witness};
use custodia::{ErrorCode, Signer};

use crate::output::{Failure, line};

/// Most bytes of one HTTP request the witness reads.
const REQUEST_BYTES_MAX: usize = 1 << 20;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Cosign one checkpoint and print it with the cosignature added.
    Cosign(CosignArgs),
    /// Serve tlog-witness `add-checkpoint` over HTTP (one request at a time).
    Serve(ServeArgs),
}

#[derive(clap::Args)]
pub struct WitnessArgs {
    /// The witness's key file (from `keygen`).
    #[arg(long, value_name = "KEYFILE")]
    key: PathBuf,
    /// The witness's name (`oas.example/witness-1`).
    #[arg(long)]
    name: String,
    /// Where the witness records the latest checkpoint it cosigned for each log.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// Verifier key of a log this witness trusts (`origin+keyid+base64`), repeatable.
    #[arg(long = "log-vkey", value_name = "VKEY", required = true)]
    log_vkeys: Vec<String>,
}

#[derive(clap::Args)]
pub struct CosignArgs {
    #[command(flatten)]
    witness: WitnessArgs,
    /// The checkpoint (as `custodia checkpoint` prints it).
    #[arg(long, value_name = "FILE")]
    checkpoint: PathBuf,
    /// The consistency proof from the size this witness cosigned last (the JSON that
    /// `custodia consistency --from M --to N` prints); none for the first checkpoint.
    #[arg(long, value_name = "FILE")]
    proof: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    witness: WitnessArgs,
    /// Address to listen on (loopback unless a bastion fronts it).
    #[arg(long, default_value = "127.0.0.1:7380")]
    listen: String,
    /// Stop after this many requests (for tests).
    #[arg(long, hide = true)]
    requests: Option<u64>,
}

fn witness(args: &WitnessArgs) -> Result<Witness, Failure> {
    let signer = Signer::read_key_file(&args.key)?;
    let name = KeyName::new(args.name.clone())
        .map_err(|e| Failure::usage(format!("`--name {}`: {e}", args.name)))?;
    let key = SignerKey::from_seed(name, SignatureType::CosignatureV1, signer.seed());
    let mut logs = Vec::new();
    for v in &args.log_vkeys {
        logs.push(
            VerifierKey::parse(v).map_err(|e| Failure::usage(format!("`--log-vkey {v}`: {e}")))?,
        );
    }
    Ok(Witness::new(key, logs, &args.state)?)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        // A clock before 1970 timestamps cosignatures at 0, which verifiers may refuse.
        .unwrap_or(0)
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::usage(format!("cannot read `{}`: {e}", path.display())))
}

pub fn run(command: &Command, out: &mut dyn Write) -> Result<(), Failure> {
    match command {
        Command::Cosign(args) => cosign(args, out),
        Command::Serve(args) => serve(args, out),
    }
}

fn cosign(args: &CosignArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let w = witness(&args.witness)?;
    let checkpoint = read_file(&args.checkpoint)?;
    let (old_size, proof) = match &args.proof {
        None => (0, Vec::new()),
        Some(path) => {
            let v: serde_json::Value = serde_json::from_slice(&read_file(path)?).map_err(|e| {
                Failure::usage(format!(
                    "`{}` is not a consistency proof: {e}",
                    path.display()
                ))
            })?;
            let first = v.get("first").and_then(serde_json::Value::as_u64);
            let hashes: Option<Vec<[u8; 32]>> =
                v.get("path").and_then(|p| p.as_array()).and_then(|a| {
                    a.iter()
                        .map(|h| {
                            let mut out = [0u8; 32];
                            hex::decode_to_slice(h.as_str()?, &mut out).ok()?;
                            Some(out)
                        })
                        .collect()
                });
            match (first, hashes) {
                (Some(first), Some(hashes)) => (first, hashes),
                _ => {
                    return Err(Failure::usage(format!(
                        "`{}` is not the JSON `custodia consistency` prints",
                        path.display()
                    )));
                }
            }
        }
    };
    let request = AddCheckpoint {
        old_size,
        proof,
        checkpoint: checkpoint.clone(),
    };
    let sigs = w.add_checkpoint(&request, now())?;
    out.write_all(&checkpoint)
        .map_err(|e| crate::output::write_failure("standard output", &e))?;
    for s in sigs {
        out.write_all(s.to_line().as_bytes())
            .map_err(|e| crate::output::write_failure("standard output", &e))?;
    }
    Ok(())
}

/// The HTTP status tlog-witness gives each refusal.
fn status(code: ErrorCode) -> (u16, &'static str) {
    match code {
        ErrorCode::UnknownOrigin => (404, "Not Found"),
        ErrorCode::CheckpointSignature => (403, "Forbidden"),
        ErrorCode::OldSizeBeyondCheckpoint | ErrorCode::NoteMalformed => (400, "Bad Request"),
        ErrorCode::Rollback | ErrorCode::Fork => (409, "Conflict"),
        ErrorCode::ProofInvalid => (422, "Unprocessable Entity"),
        _ => (500, "Internal Server Error"),
    }
}

fn respond(stream: &mut TcpStream, code: u16, reason: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// Reads one request: method, path and body (bounded).
fn read_request(stream: &TcpStream) -> Result<(String, String, Vec<u8>), &'static str> {
    let mut reader = BufReader::new(stream.take(REQUEST_BYTES_MAX as u64));
    let mut first = String::new();
    reader
        .read_line(&mut first)
        .map_err(|_| "unreadable request")?;
    let mut parts = first.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|_| "unreadable headers")?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().map_err(|_| "bad Content-Length")?;
        }
    }
    if length > REQUEST_BYTES_MAX {
        return Err("request too large");
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|_| "short body")?;
    Ok((method.to_owned(), path.to_owned(), body))
}

fn serve(args: &ServeArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let w = witness(&args.witness)?;
    let listener = TcpListener::bind(&args.listen)
        .map_err(|e| Failure::usage(format!("cannot listen on `{}`: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::usage(e.to_string()))?;
    line(
        out,
        &format!(
            "witness {} listening on http://{addr}/add-checkpoint",
            w.verifier()
        ),
    )?;
    out.flush()
        .map_err(|e| crate::output::write_failure("standard output", &e))?;
    let mut served = 0u64;
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        match read_request(&stream) {
            Err(why) => respond(
                &mut stream,
                400,
                "Bad Request",
                "text/plain",
                why.as_bytes(),
            ),
            Ok((method, path, _)) if method != "POST" || !path.ends_with("/add-checkpoint") => {
                respond(
                    &mut stream,
                    404,
                    "Not Found",
                    "text/plain",
                    b"POST /add-checkpoint\n",
                );
            }
            Ok((_, _, body)) => match AddCheckpoint::parse(&body)
                .and_then(|request| w.add_checkpoint(&request, now()))
            {
                Ok(sigs) => {
                    let body: String = sigs.iter().map(|s| s.to_line()).collect();
                    respond(&mut stream, 200, "OK", "text/plain", body.as_bytes());
                }
                Err(e) => {
                    let (code, reason) = status(e.code());
                    if let custodia::ErrorKind::Rollback { latest, .. } = e.kind() {
                        let body = format!("{latest}\n");
                        respond(
                            &mut stream,
                            code,
                            reason,
                            "text/x.tlog.size",
                            body.as_bytes(),
                        );
                    } else {
                        let body = format!("{e}\n");
                        respond(&mut stream, code, reason, "text/plain", body.as_bytes());
                    }
                }
            },
        }
        served += 1;
        if args.requests.is_some_and(|n| served >= n) {
            break;
        }
    }
    Ok(())
}
