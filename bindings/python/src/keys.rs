//! `custodia.Key`: an Ed25519 signing key (an actor's, or the log key that signs tree heads).

use std::path::PathBuf;

use custodia::Signer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::{arg, opt_arg};
use crate::error::{IntoErr, invalid_argument, quote, run};

/// An Ed25519 signing key. Its secret never appears in `repr` or in errors.
#[pyclass(frozen, module = "custodia._custodia", name = "Key")]
pub(crate) struct Key {
    pub(crate) signer: Signer,
}

impl Key {
    /// A second handle on the same key (`Signer` is deliberately not `Clone`).
    pub(crate) fn signer(&self) -> Signer {
        Signer::from_seed(self.signer.seed())
    }
}

#[pymethods]
impl Key {
    /// A fresh random key from the operating system's generator.
    #[staticmethod]
    fn generate() -> Self {
        Key {
            signer: Signer::generate(),
        }
    }

    /// The key whose 32-byte secret seed is `seed` (bytes, or 64 hex digits).
    #[staticmethod]
    fn from_seed(py: Python<'_>, seed: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes: Vec<u8> = if let Ok(b) = seed.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if let Ok(s) = seed.cast::<PyString>() {
            let text = s.to_cow()?;
            decode_hex(&text).ok_or_else(|| {
                invalid_argument("seed", "<secret>", "expected 64 hex digits").into_err(py)
            })?
        } else {
            return Err(invalid_argument(
                "seed",
                &quote(&seed.get_type().into_any()),
                "expected 32 bytes or 64 hex digits",
            )
            .into_err(py));
        };
        let seed: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            invalid_argument(
                "seed",
                "<secret>",
                format!("expected 32 bytes, got {}", b.len()),
            )
            .into_err(py)
        })?;
        Ok(Key {
            signer: Signer::from_seed(seed),
        })
    }

    /// Reads a key file (JSON with `public_key` and `secret_seed`, mode 0600).
    #[staticmethod]
    fn load(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Self> {
        let path: PathBuf = arg(path, "path", "str or os.PathLike")?;
        let signer = run(py, || Signer::read_key_file(&path))?;
        Ok(Key { signer })
    }

    /// Writes the key to a new file readable by its owner only; refuses a path that exists.
    /// `actor` is recorded in the file as a reminder of whose key it is.
    #[pyo3(signature = (path, actor=None))]
    fn save(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        actor: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let path: PathBuf = arg(path, "path", "str or os.PathLike")?;
        let actor: Option<String> = opt_arg(actor, "actor", "str")?;
        run(py, || self.signer.write_key_file(&path, actor.as_deref()))
    }

    /// The public key, 64 lowercase hex digits.
    #[getter]
    fn public_key(&self) -> String {
        self.signer.public_key().to_hex()
    }

    /// The 64-byte Ed25519 signature of `message` (RFC 8032; an event's signatures sign its
    /// 32-byte id).
    fn sign<'py>(&self, py: Python<'py>, message: &[u8]) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.signer.sign_bytes(message))
    }

    /// The 32-byte secret seed. Keep it secret.
    fn seed(&self) -> Vec<u8> {
        self.signer.seed().to_vec()
    }

    fn __repr__(&self) -> String {
        format!("Key(public_key='{}')", self.public_key())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Key>()
            .is_ok_and(|o| o.get().signer.public_key() == self.signer.public_key())
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.signer.public_key().as_bytes().hash(&mut hasher);
        hasher.finish()
    }
}

/// `bytes`, or hex digits, of exactly `len` bytes; else InvalidArgument naming `argument`.
fn fixed_bytes<const N: usize>(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    argument: &str,
) -> PyResult<[u8; N]> {
    let bytes: Vec<u8> = if let Ok(b) = value.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else if let Ok(s) = value.cast::<PyString>() {
        let text = s.to_cow()?;
        decode_hex(&text).ok_or_else(|| {
            invalid_argument(argument, &text, format!("expected {} hex digits", 2 * N)).into_err(py)
        })?
    } else {
        return Err(invalid_argument(
            argument,
            &quote(&value.get_type().into_any()),
            format!("expected {N} bytes or {} hex digits", 2 * N),
        )
        .into_err(py));
    };
    bytes.try_into().map_err(|b: Vec<u8>| {
        invalid_argument(
            argument,
            &format!("{} bytes", b.len()),
            format!("expected {N} bytes"),
        )
        .into_err(py)
    })
}

/// Whether `signature` (64 bytes or 128 hex digits) is a valid Ed25519 signature of `message`
/// by `public_key` (32 bytes or 64 hex digits) under the rule the ledger applies to event
/// signatures (FORMAT.md §4: ZIP 215 with canonical, torsion-free keys and a canonical R not
/// of small order): the verdict `Ledger.verify()` gives an event's signature of its id.
#[pyfunction]
pub(crate) fn verify_signature(
    py: Python<'_>,
    public_key: &Bound<'_, PyAny>,
    message: &[u8],
    signature: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let key: [u8; 32] = fixed_bytes(py, public_key, "public_key")?;
    let signature: [u8; 64] = fixed_bytes(py, signature, "signature")?;
    Ok(custodia::sigcheck::verify_one(&key, message, &signature))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}
