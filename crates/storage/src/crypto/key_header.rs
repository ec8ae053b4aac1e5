//! The key header file: the wrapped data key and how to unwrap it.
//!
//! Layout (100 bytes, integers little-endian; see `docs/storage-format.md`):
//!
//! ```text
//!  0  8  magic "HELIOSKH"
//!  8  2  format version (1)
//! 10  1  KEK kind: 1 = raw 256-bit key (key file, env var, in-memory), 2 = passphrase/Argon2id
//! 11  1  cipher: 1 = AES-256-GCM
//! 12  4  Argon2id memory (KiB)     16  4  Argon2id passes     20  4  Argon2id lanes
//! 24 16  salt
//! 40 12  nonce ┐
//! 52 32  wrapped data key  │ AES-256-GCM under the KEK, associated data = bytes 0..40
//! 84 16  tag   ┘
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use helios_common::{Error, Result, SqlState};
use zeroize::Zeroizing;

use super::kdf::KdfParams;
use super::key_source::KeySource;
use super::page_cipher::{fill_random, DataKey, PageCipher, SEALED_OVERHEAD};

/// Size of the key header file in bytes.
pub const KEY_HEADER_LEN: usize = 100;
/// Name of the key header file inside a database directory.
pub const KEY_HEADER_FILE: &str = "data.key";

const MAGIC: &[u8; 8] = b"HELIOSKH";
const VERSION: u16 = 1;
const KIND_RAW: u8 = 1;
const KIND_PASSPHRASE: u8 = 2;
const CIPHER_AES256GCM: u8 = 1;
const AAD_LEN: usize = 40;
// Bounds on stored Argon2id costs, so a damaged header cannot make an open allocate or
// spin without limit.
const MAX_KDF_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_KDF_ITERATIONS: u32 = 64;
const MAX_KDF_LANES: u32 = 64;

/// A decoded key header: the wrapped data key and the parameters that unwrap it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHeader {
    kind: u8,
    kdf: KdfParams,
    salt: [u8; 16],
    /// Nonce, wrapped key and tag, as sealed by [`PageCipher::seal`].
    sealed_key: [u8; 32 + SEALED_OVERHEAD],
}

impl std::fmt::Debug for KeyHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyHeader").field("kind", &self.kind).field("kdf", &self.kdf).finish()
    }
}

impl KeyHeader {
    /// A new random data key, and the header wrapping it under `source`.
    pub fn create(source: &KeySource, kdf: KdfParams) -> Result<(KeyHeader, DataKey)> {
        let key = DataKey::random()?;
        let header = KeyHeader::wrap(&key, source, kdf)?;
        Ok((header, key))
    }

    /// A header wrapping `key` under `source`, with a fresh salt.
    pub fn wrap(key: &DataKey, source: &KeySource, kdf: KdfParams) -> Result<KeyHeader> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        let kind = if source.is_passphrase() { KIND_PASSPHRASE } else { KIND_RAW };
        let mut header = KeyHeader { kind, kdf, salt, sealed_key: [0; 32 + SEALED_OVERHEAD] };
        let kek = source.key_encryption_key(&salt, &kdf)?;
        let cipher = PageCipher::new(&kek.0)?;
        let aad = header.aad();
        cipher.seal(&aad, key.expose(), &mut header.sealed_key);
        Ok(header)
    }

    /// Unwraps the data key with `source`.
    ///
    /// A wrong key, a wrong passphrase and a damaged header all fail the tag check and
    /// give `28P01`.
    pub fn unwrap(&self, source: &KeySource) -> Result<DataKey> {
        match (self.kind, source.is_passphrase()) {
            (KIND_PASSPHRASE, false) => {
                return Err(Error::new(
                    SqlState::INVALID_PASSWORD,
                    "database is encrypted with a passphrase, but a key was given",
                ))
            }
            (KIND_RAW, true) => {
                return Err(Error::new(
                    SqlState::INVALID_PASSWORD,
                    "database is encrypted with a key, but a passphrase was given",
                ))
            }
            _ => {}
        }
        let kek = source.key_encryption_key(&self.salt, &self.kdf)?;
        let cipher = PageCipher::new(&kek.0)?;
        let mut key = Zeroizing::new([0u8; 32]);
        cipher.open(&self.aad(), &self.sealed_key, key.as_mut()).map_err(|_| {
            Error::new(
                SqlState::INVALID_PASSWORD,
                "could not unlock the database: wrong encryption key or passphrase",
            )
            .with_detail("the data key in the key header did not authenticate")
        })?;
        Ok(DataKey::from_bytes(key))
    }

    fn aad(&self) -> [u8; AAD_LEN] {
        let mut b = [0u8; AAD_LEN];
        b[..8].copy_from_slice(MAGIC);
        b[8..10].copy_from_slice(&VERSION.to_le_bytes());
        b[10] = self.kind;
        b[11] = CIPHER_AES256GCM;
        b[12..16].copy_from_slice(&self.kdf.memory_kib.to_le_bytes());
        b[16..20].copy_from_slice(&self.kdf.iterations.to_le_bytes());
        b[20..24].copy_from_slice(&self.kdf.parallelism.to_le_bytes());
        b[24..40].copy_from_slice(&self.salt);
        b
    }

    /// The header's bytes.
    pub fn encode(&self) -> [u8; KEY_HEADER_LEN] {
        let mut b = [0u8; KEY_HEADER_LEN];
        b[..AAD_LEN].copy_from_slice(&self.aad());
        b[AAD_LEN..].copy_from_slice(&self.sealed_key);
        b
    }

    /// Decodes a header, checking magic, version and field values (`XX001` otherwise).
    pub fn decode(bytes: &[u8]) -> Result<KeyHeader> {
        let bad = |what: &str| Error::corrupted(format!("invalid key header: {what}"));
        if bytes.len() != KEY_HEADER_LEN {
            return Err(bad(&format!("expected {KEY_HEADER_LEN} bytes, found {}", bytes.len())));
        }
        if &bytes[..8] != MAGIC {
            return Err(bad("bad magic number"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != VERSION {
            return Err(Error::unsupported(format!("key header version {version}")));
        }
        let kind = bytes[10];
        if kind != KIND_RAW && kind != KIND_PASSPHRASE {
            return Err(bad(&format!("unknown key kind {kind}")));
        }
        if bytes[11] != CIPHER_AES256GCM {
            return Err(bad(&format!("unknown cipher {}", bytes[11])));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let kdf =
            KdfParams { memory_kib: u32_at(12), iterations: u32_at(16), parallelism: u32_at(20) };
        if kdf.memory_kib > MAX_KDF_MEMORY_KIB
            || !(1..=MAX_KDF_ITERATIONS).contains(&kdf.iterations)
            || !(1..=MAX_KDF_LANES).contains(&kdf.parallelism)
        {
            return Err(bad("Argon2id parameters out of range"));
        }
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&bytes[24..40]);
        let mut sealed_key = [0u8; 32 + SEALED_OVERHEAD];
        sealed_key.copy_from_slice(&bytes[AAD_LEN..]);
        Ok(KeyHeader { kind, kdf, salt, sealed_key })
    }

    /// Reads and decodes the header file at `path`.
    pub fn read(path: &Path) -> Result<KeyHeader> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::io(format!("could not read key header \"{}\"", path.display()), &e)
        })?;
        KeyHeader::decode(&bytes)
    }

    /// Writes the header to `path` atomically: a temporary file, fsync, rename over the old
    /// header, fsync of the directory. A crash leaves either the old or the new header.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = path.with_extension("key.tmp");
        let io = |what: &str, e: std::io::Error| {
            Error::io(format!("could not {what} key header \"{}\"", path.display()), &e)
        };
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .map_err(|e| io("create temporary file for", e))?;
            f.write_all(&self.encode()).map_err(|e| io("write", e))?;
            f.sync_all().map_err(|e| io("sync", e))?;
        }
        std::fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
        sync_dir(dir).map_err(|e| io("sync directory of", e))
    }
}

/// Syncs a directory so a rename or a new file in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Re-wraps the data key of the encrypted database in `dir` under `new`, after unlocking it
/// with `old`. Data pages are not rewritten: only the key header changes, atomically.
///
/// Works whether or not the database is open (an open database keeps its unwrapped key).
pub fn change_passphrase(
    dir: &Path,
    old: &KeySource,
    new: &KeySource,
    kdf: KdfParams,
) -> Result<()> {
    let path = dir.join(KEY_HEADER_FILE);
    if !path.exists() {
        return Err(Error::new(
            SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("database \"{}\" is not encrypted", dir.display()),
        ));
    }
    let header = KeyHeader::read(&path)?;
    let key = header.unwrap(old)?;
    KeyHeader::wrap(&key, new, kdf)?.write_atomic(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_encodes_and_unwraps() {
        let src = KeySource::passphrase("correct horse");
        let (h, key) = KeyHeader::create(&src, KdfParams::insecure_fast()).unwrap();
        let decoded = KeyHeader::decode(&h.encode()).unwrap();
        assert_eq!(decoded, h);
        let back = decoded.unwrap(&src).unwrap();
        assert_eq!(back.expose(), key.expose());
        let wrong = decoded.unwrap(&KeySource::passphrase("wrong horse")).unwrap_err();
        assert_eq!(wrong.sqlstate(), SqlState::INVALID_PASSWORD);
        let kind = decoded.unwrap(&KeySource::Key(Zeroizing::new([1; 32]))).unwrap_err();
        assert_eq!(kind.sqlstate(), SqlState::INVALID_PASSWORD);
    }

    #[test]
    fn tampered_header_does_not_unlock() {
        let src = KeySource::Key(Zeroizing::new([9; 32]));
        let (h, _) = KeyHeader::create(&src, KdfParams::insecure_fast()).unwrap();
        let bytes = h.encode();
        for i in 12..KEY_HEADER_LEN {
            let mut bad = bytes;
            bad[i] ^= 0x40;
            let result = KeyHeader::decode(&bad).and_then(|h| h.unwrap(&src));
            assert!(result.is_err(), "flip at {i} went unnoticed");
        }
        let mut magic = bytes;
        magic[0] = b'X';
        assert_eq!(KeyHeader::decode(&magic).unwrap_err().sqlstate(), SqlState::DATA_CORRUPTED);
        assert!(KeyHeader::decode(&bytes[..50]).is_err());
    }
}
