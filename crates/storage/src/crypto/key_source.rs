//! Where the key-encryption key comes from: a key file, an environment variable or a
//! passphrase.

use std::fmt;
use std::path::PathBuf;

use helios_common::{Error, Result, SqlState};
use zeroize::Zeroizing;

use super::kdf::KdfParams;
use super::page_cipher::DataKey;

/// The source of the key-encryption key that unlocks a database's data key.
///
/// `Debug` shows the kind and the file or variable name, never key material.
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A file holding the key: exactly 32 raw bytes, or 64 hexadecimal characters
    /// (surrounding whitespace ignored).
    File(PathBuf),
    /// The name of an environment variable holding the key as 64 hexadecimal characters.
    Env(String),
    /// A passphrase, stretched with Argon2id using the salt and costs in the key header.
    Passphrase(Zeroizing<String>),
    /// The key itself, for embedders that manage keys (e.g. from a KMS).
    Key(Zeroizing<[u8; 32]>),
}

impl KeySource {
    /// A passphrase source.
    pub fn passphrase(p: impl Into<String>) -> KeySource {
        KeySource::Passphrase(Zeroizing::new(p.into()))
    }

    /// Whether the key comes from a passphrase (and so goes through Argon2id).
    pub fn is_passphrase(&self) -> bool {
        matches!(self, KeySource::Passphrase(_))
    }

    /// Builds the key-encryption key; `salt` and `kdf` are used for passphrases only.
    pub(crate) fn key_encryption_key(
        &self,
        salt: &[u8],
        kdf: &KdfParams,
    ) -> Result<KeyEncryptionKey> {
        let bytes = match self {
            KeySource::File(path) => {
                let raw = Zeroizing::new(std::fs::read(path).map_err(|e| {
                    Error::io(format!("could not read key file \"{}\"", path.display()), &e)
                })?);
                if raw.len() == 32 {
                    let mut k = Zeroizing::new([0u8; 32]);
                    k.copy_from_slice(&raw);
                    k
                } else {
                    let text = std::str::from_utf8(&raw).map_err(|_| bad_key_text("key file"))?;
                    parse_hex_key(text.trim()).ok_or_else(|| bad_key_text("key file"))?
                }
            }
            KeySource::Env(name) => {
                let value = Zeroizing::new(std::env::var(name).map_err(|_| {
                    Error::new(
                        SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                        format!(
                            "environment variable \"{name}\" holding the encryption key is not set"
                        ),
                    )
                })?);
                parse_hex_key(value.trim())
                    .ok_or_else(|| bad_key_text(&format!("environment variable \"{name}\"")))?
            }
            KeySource::Passphrase(p) => kdf.derive(p.as_bytes(), salt)?,
            KeySource::Key(k) => Zeroizing::new(**k),
        };
        Ok(KeyEncryptionKey(DataKey::from_bytes(bytes)))
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "File({:?})", p),
            KeySource::Env(v) => write!(f, "Env({v:?})"),
            KeySource::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            KeySource::Key(_) => f.write_str("Key(<redacted>)"),
        }
    }
}

/// A key-encryption key: it only wraps and unwraps the data key.
#[derive(Debug)]
pub struct KeyEncryptionKey(pub(crate) DataKey);

fn bad_key_text(what: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("{what} must hold a 256-bit key: 32 raw bytes or 64 hexadecimal characters"),
    )
}

/// Parses 64 hexadecimal characters into 32 bytes.
pub(crate) fn parse_hex_key(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = Zeroizing::new([0u8; 32]);
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_keys() {
        let hex = "00ff".repeat(16);
        let k = parse_hex_key(&hex).unwrap();
        assert_eq!(k[0], 0x00);
        assert_eq!(k[1], 0xff);
        assert!(parse_hex_key(&hex[..62]).is_none());
        assert!(parse_hex_key(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn key_file_accepts_raw_and_hex() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("raw");
        std::fs::write(&raw, [7u8; 32]).unwrap();
        let hex = dir.path().join("hex");
        std::fs::write(&hex, format!("{}\n", "07".repeat(32))).unwrap();
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "short").unwrap();
        let p = KdfParams::insecure_fast();
        let a = KeySource::File(raw).key_encryption_key(&[0; 16], &p).unwrap();
        let b = KeySource::File(hex).key_encryption_key(&[0; 16], &p).unwrap();
        assert_eq!(a.0.expose(), b.0.expose());
        let err = KeySource::File(bad).key_encryption_key(&[0; 16], &p).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let s = KeySource::passphrase("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let k = KeySource::Key(Zeroizing::new([0xAB; 32]));
        assert!(!format!("{k:?}").to_lowercase().contains("ab"));
    }
}
