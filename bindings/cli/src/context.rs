//! The global options and how every verb reaches the ledger through the front door: reads
//! open the file read-only and never need the log key; writes need it (`--log-key KEYFILE` or
//! `CUSTODIA_LOG_KEY`) and load the rule plugins given with `--plugins DIR`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use custodia::rules::RuleEngine;
use custodia::{Error, ErrorKind, Ledger, Options, Signer};

use crate::output::Failure;

/// The options every verb takes.
#[derive(Debug, Clone, Default)]
pub struct Global {
    /// `--ledger FILE`.
    pub ledger: Option<PathBuf>,
    /// `--plugins DIR`.
    pub plugins: Option<PathBuf>,
    /// `--log-key KEYFILE` or `$CUSTODIA_LOG_KEY`.
    pub log_key: Option<PathBuf>,
}

/// Why a write needs the log key, as the front door says it.
const NO_LOG_KEY: &str =
    "no log key was given to sign tree heads (`--log-key KEYFILE` or `CUSTODIA_LOG_KEY`)";

impl Global {
    /// The ledger file; a usage error without `--ledger`.
    pub fn ledger_path(&self) -> Result<&Path, Failure> {
        self.ledger
            .as_deref()
            .ok_or_else(|| Failure::usage("this command needs `--ledger FILE`"))
    }

    /// The log key, when one was given.
    pub fn log_key(&self) -> Result<Option<Signer>, Failure> {
        match &self.log_key {
            None => Ok(None),
            Some(path) => Ok(Some(Signer::read_key_file(path)?)),
        }
    }

    /// The rule engine of `--plugins DIR`, when given.
    pub fn rules(&self) -> Result<Option<Arc<dyn RuleEngine>>, Failure> {
        match &self.plugins {
            None => Ok(None),
            Some(dir) => {
                let set = custodia_plugins::RuleSet::from_dir(dir)?;
                Ok(Some(Arc::new(set)))
            }
        }
    }

    /// Opens the ledger read-only, without rules: every query works, the log key is not read.
    pub fn open_read(&self) -> Result<Ledger, Failure> {
        opened(Ledger::open(
            self.ledger_path()?,
            Options::new().read_only(true),
        ))
    }

    /// Opens the ledger read-only with the rules of `--plugins DIR` (for `verify`).
    pub fn open_read_with_rules(&self) -> Result<Ledger, Failure> {
        let mut ledger = self.open_read()?;
        // Plugins compile slowly: only once the file is known to be a ledger.
        ledger.set_rules(self.rules()?);
        Ok(ledger)
    }

    /// Opens the ledger to append: with the log key (a read-only error without one, after the
    /// file itself was found) and the rules of `--plugins DIR`.
    pub fn open_write(&self) -> Result<Ledger, Failure> {
        let path = self.ledger_path()?;
        let mut options = Options::new();
        if let Some(key) = self.log_key()? {
            options = options.log_key(key);
        }
        let mut ledger = opened(Ledger::open(path, options))?;
        if !ledger.is_writable() {
            return Err(Error::new(ErrorKind::ReadOnly {
                reason: NO_LOG_KEY.into(),
            })
            .into());
        }
        ledger.set_rules(self.rules()?);
        Ok(ledger)
    }
}

/// The outcome of opening a ledger; a file of an older format gets the way to upgrade it.
fn opened(result: Result<Ledger, Error>) -> Result<Ledger, Failure> {
    result.map_err(|e| {
        let older = matches!(e.kind(), ErrorKind::FormatVersion { found, supported, .. } if found < supported);
        let failure = Failure::from(e);
        if older {
            failure.note("upgrade it with `custodia --ledger FILE migrate --out KEYFILE`")
        } else {
            failure
        }
    })
}
