//! Private and public key parsing for the PKey classes. OpenSSH-format keys are
//! read with the `ssh-key` crate, legacy PEM/PKCS#8 keys with OpenSSL (which
//! libssh2 links anyway). Authentication itself hands the key text to libssh2.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey};
use ssh_key::{Mpint, PrivateKey, PublicKey};

use crate::error::{Error, Result};

fn bad_key(what: impl std::fmt::Display) -> Error {
    Error::Ssh(format!("not a valid private key file: {what}"))
}

/// (key type name, bits) of a public key.
fn key_data_info(data: &KeyData) -> (String, u32) {
    let bits = match data {
        KeyData::Rsa(rsa) => {
            let n = rsa.n.as_positive_bytes().unwrap_or(&[]);
            let lead = n.first().map(|b| 8 - b.leading_zeros()).unwrap_or(0);
            (n.len().saturating_sub(1) as u32) * 8 + lead
        }
        KeyData::Ecdsa(ec) => match ec.curve() {
            ssh_key::EcdsaCurve::NistP256 => 256,
            ssh_key::EcdsaCurve::NistP384 => 384,
            ssh_key::EcdsaCurve::NistP521 => 521,
        },
        KeyData::Ed25519(_) => 256,
        _ => 0,
    };
    (data.algorithm().as_str().to_string(), bits)
}

/// (key type name, bits) of an SSH wire-format public key blob.
pub fn blob_info(blob: &[u8]) -> Result<(String, u32)> {
    let key = PublicKey::from_bytes(blob).map_err(|e| Error::Ssh(format!("unparsable public key: {e}")))?;
    Ok(key_data_info(key.key_data()))
}

fn public_blob(data: KeyData) -> Result<Vec<u8>> {
    PublicKey::from(data).to_bytes().map_err(|e| Error::Ssh(e.to_string()))
}

/// The unencrypted header of an OpenSSH private key: (cipher name, public blob).
/// Used when `ssh-key` rejects a key that OpenSSH and libssh2 accept (ssh-key 0.6
/// refuses P-521 keys whose private scalar is stored in 65 bytes, ~1 in 4).
fn openssh_header(data: &[u8]) -> Result<(String, Vec<u8>)> {
    let text = String::from_utf8_lossy(data);
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let raw = openssl::base64::decode_block(&body).map_err(bad_key)?;
    let rest = raw
        .strip_prefix(b"openssh-key-v1\0")
        .ok_or_else(|| bad_key("bad magic"))?;
    let mut reader = SshReader(rest);
    let cipher = String::from_utf8_lossy(reader.string()?).into_owned();
    reader.string()?; // kdf name
    reader.string()?; // kdf options
    reader.u32()?; // number of keys
    Ok((cipher, reader.string()?.to_vec()))
}

struct SshReader<'a>(&'a [u8]);

impl<'a> SshReader<'a> {
    fn u32(&mut self) -> Result<u32> {
        if self.0.len() < 4 {
            return Err(bad_key("truncated key"));
        }
        let (head, tail) = self.0.split_at(4);
        self.0 = tail;
        Ok(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
    }

    fn string(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        if self.0.len() < n {
            return Err(bad_key("truncated key"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
}

/// A parsed private key: its public half, its comment, and, when it had to
/// be decrypted, an unencrypted copy for the SSH layer to sign with (so the
/// key's KDF, bcrypt for OpenSSH keys, runs once per key, not per login).
struct Parsed {
    public: KeyData,
    comment: String,
    decrypted: Option<Vec<u8>>,
}

fn parse_openssh(data: &[u8], passphrase: Option<&[u8]>) -> Result<Parsed> {
    let key = match PrivateKey::from_openssh(data) {
        Ok(key) => key,
        Err(first_error) => {
            // Fall back to the public half from the header; libssh2 still checks
            // the private half (and the passphrase) when it authenticates.
            let (cipher, blob) = openssh_header(data).map_err(|_| bad_key(first_error))?;
            if cipher != "none" && passphrase.is_none() {
                return Err(Error::PasswordRequired);
            }
            let public = PublicKey::from_bytes(&blob).map_err(bad_key)?;
            return Ok(Parsed {
                public: public.key_data().clone(),
                comment: String::new(),
                decrypted: None,
            });
        }
    };
    let mut decrypted = None;
    let key = if key.is_encrypted() {
        let pass = passphrase.ok_or(Error::PasswordRequired)?;
        let key = key
            .decrypt(pass)
            .map_err(|_| Error::Ssh("OpenSSH private key file checkints do not match".into()))?;
        // Re-encoding can only fail for a key type ssh-key cannot write: then
        // libssh2 decrypts the original again, as before.
        decrypted = key
            .to_openssh(ssh_key::LineEnding::LF)
            .ok()
            .map(|text| text.as_bytes().to_vec());
        key
    } else {
        key
    };
    Ok(Parsed {
        public: key.public_key().key_data().clone(),
        comment: key.comment().to_string(),
        decrypted,
    })
}

fn parse_pem(data: &[u8], passphrase: Option<&[u8]>) -> Result<KeyData> {
    use openssl::pkey::{Id, PKey};
    let text = String::from_utf8_lossy(data);
    let encrypted = text.contains("ENCRYPTED");
    let pkey = match passphrase {
        None if encrypted => return Err(Error::PasswordRequired),
        None => PKey::private_key_from_pem(data).map_err(bad_key)?,
        Some(pass) => PKey::private_key_from_pem_passphrase(data, pass)
            .map_err(|_| Error::Ssh("Bad password or corrupt private key file".into()))?,
    };
    let mpint = |b: Vec<u8>| Mpint::from_positive_bytes(&b).map_err(|e| Error::Ssh(e.to_string()));
    match pkey.id() {
        Id::RSA => {
            let rsa = pkey.rsa().map_err(bad_key)?;
            Ok(KeyData::Rsa(RsaPublicKey {
                e: mpint(rsa.e().to_vec())?,
                n: mpint(rsa.n().to_vec())?,
            }))
        }
        Id::EC => {
            let ec = pkey.ec_key().map_err(bad_key)?;
            let mut ctx = openssl::bn::BigNumContext::new().map_err(bad_key)?;
            let point = ec
                .public_key()
                .to_bytes(ec.group(), openssl::ec::PointConversionForm::UNCOMPRESSED, &mut ctx)
                .map_err(bad_key)?;
            Ok(KeyData::Ecdsa(
                EcdsaPublicKey::from_sec1_bytes(&point).map_err(bad_key)?,
            ))
        }
        Id::ED25519 => {
            let raw = pkey.raw_public_key().map_err(bad_key)?;
            let bytes: [u8; 32] = raw.try_into().map_err(|_| bad_key("bad ed25519 key length"))?;
            Ok(KeyData::Ed25519(Ed25519PublicKey(bytes)))
        }
        other => Err(bad_key(format!("unsupported key type {other:?}"))),
    }
}

/// (type name, public blob, bits, comment, decrypted copy).
type ParsedForPython<'py> = (String, Bound<'py, PyBytes>, u32, String, Option<Bound<'py, PyBytes>>);

/// Parse a private key file's contents: (type name, public blob, bits,
/// comment, an unencrypted copy of the key if it had to be decrypted with its
/// bcrypt KDF, else None). PEM keys' KDF is cheap: they are not copied.
#[pyfunction]
#[pyo3(signature = (data, passphrase=None))]
pub fn parse_private_key<'py>(
    py: Python<'py>,
    data: Vec<u8>,
    passphrase: Option<Vec<u8>>,
) -> PyResult<ParsedForPython<'py>> {
    let pass = passphrase.as_deref();
    let parsed = if data.windows(35).any(|w| w == b"-----BEGIN OPENSSH PRIVATE KEY-----") {
        parse_openssh(&data, pass)?
    } else if data.windows(11).any(|w| w == b"-----BEGIN ") {
        Parsed {
            public: parse_pem(&data, pass)?,
            comment: String::new(),
            decrypted: None,
        }
    } else {
        return Err(bad_key("no PEM or OpenSSH key header").into());
    };
    let (name, bits) = key_data_info(&parsed.public);
    let blob = public_blob(parsed.public)?;
    let decrypted = parsed.decrypted.map(|text| PyBytes::new(py, &text));
    Ok((name, PyBytes::new(py, &blob), bits, parsed.comment, decrypted))
}

/// (key type name, bits) of a public key blob.
#[pyfunction]
pub fn public_key_info(blob: Vec<u8>) -> PyResult<(String, u32)> {
    Ok(blob_info(&blob)?)
}

/// (public blob, comment) for each identity the ssh-agent holds; [] without an agent.
#[pyfunction]
pub fn agent_identities(py: Python<'_>) -> PyResult<Vec<(Vec<u8>, String)>> {
    Ok(crate::shutdown::detach(py, || -> Result<Vec<(Vec<u8>, String)>> {
        if std::env::var_os("SSH_AUTH_SOCK").is_none() {
            return Ok(vec![]);
        }
        let sess = ssh2::Session::new()?;
        let mut agent = sess.agent()?;
        if agent.connect().is_err() {
            return Ok(vec![]);
        }
        agent.list_identities()?;
        let ids = agent.identities()?;
        let _ = agent.disconnect();
        Ok(ids
            .iter()
            .map(|k| (k.blob().to_vec(), k.comment().to_string()))
            .collect())
    })?)
}
