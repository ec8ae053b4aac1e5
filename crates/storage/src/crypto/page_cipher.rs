//! AES-256-GCM sealing of byte blocks with per-seal nonces: the primitive under encrypted
//! pages and the wrapped data key.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};

use helios_common::{Error, Result};
use ring::aead::{Aad, LessSafeKey, Nonce, Tag, UnboundKey, AES_256_GCM};
use zeroize::Zeroizing;

/// Bytes of nonce in front of a sealed block.
pub const NONCE_LEN: usize = 12;
/// Bytes of authentication tag behind a sealed block.
pub const TAG_LEN: usize = 16;
/// How many bytes sealing adds to a block: nonce plus tag.
pub const SEALED_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// A 256-bit secret key (a data key or a key-encryption key), zeroized on drop.
///
/// It deliberately has no `Debug` that shows bytes and no `Clone`.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> DataKey {
        DataKey(bytes)
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> Result<DataKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut())?;
        Ok(DataKey(bytes))
    }

    /// The key bytes; callers must not copy them out of zeroizing storage.
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Sealing failed to authenticate: wrong key, or the bytes were changed or moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealError;

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("authentication tag mismatch")
    }
}

impl std::error::Error for SealError {}

/// Seals and opens blocks with AES-256-GCM under one key.
///
/// The AEAD is `ring`'s, which uses AES-NI and carry-less multiplication (with AVX/VAES
/// where the CPU has them) chosen at run time: about 5x the throughput of the portable
/// RustCrypto `aes-gcm` on the same machine (`benches/README.md`). Its expanded key
/// schedule is zeroized when the cipher is dropped.
///
/// Nonces: a random 96-bit base drawn when the cipher is created, plus a counter advanced
/// on every seal. Two ciphers over the same key repeat a nonce only if their random bases
/// land within (number of seals) of each other in a 2^64 space, which is negligible; the
/// counter never repeats within one cipher.
pub struct PageCipher {
    /// Always initialized; `MaybeUninit` only so that `Drop` may overwrite it with zeros.
    aead: Box<MaybeUninit<LessSafeKey>>,
    nonce_prefix: [u8; 4],
    nonce_base: u64,
    counter: AtomicU64,
}

impl fmt::Debug for PageCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PageCipher(<redacted>)")
    }
}

impl PageCipher {
    /// A cipher for `key`.
    pub fn new(key: &DataKey) -> Result<PageCipher> {
        let unbound = UnboundKey::new(&AES_256_GCM, key.expose())
            .map_err(|_| Error::internal("AES-256-GCM refused a 32-byte key"))?;
        let mut aead = Box::new_uninit();
        aead.write(LessSafeKey::new(unbound));
        let mut seed = [0u8; 12];
        fill_random(&mut seed)?;
        let mut prefix = [0u8; 4];
        prefix.copy_from_slice(&seed[..4]);
        let mut base = [0u8; 8];
        base.copy_from_slice(&seed[4..]);
        Ok(PageCipher {
            aead,
            nonce_prefix: prefix,
            nonce_base: u64::from_le_bytes(base),
            counter: AtomicU64::new(0),
        })
    }

    fn key(&self) -> &LessSafeKey {
        // SAFETY: `aead` is written in `new` and only overwritten in `drop`.
        unsafe { self.aead.assume_init_ref() }
    }

    fn next_nonce(&self) -> [u8; NONCE_LEN] {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..4].copy_from_slice(&self.nonce_prefix);
        nonce[4..].copy_from_slice(&self.nonce_base.wrapping_add(n).to_le_bytes());
        nonce
    }

    /// Seals `plain` into `out` as `nonce | ciphertext | tag`, authenticating `aad` too.
    ///
    /// # Panics
    /// When `out.len() != plain.len() + SEALED_OVERHEAD`: callers size buffers from
    /// constants, so a mismatch is a bug, not bad input.
    pub fn seal(&self, aad: &[u8], plain: &[u8], out: &mut [u8]) {
        assert_eq!(out.len(), plain.len() + SEALED_OVERHEAD, "sealed buffer size");
        let nonce = self.next_nonce();
        let (head, rest) = out.split_at_mut(NONCE_LEN);
        head.copy_from_slice(&nonce);
        let (body, tag_out) = rest.split_at_mut(plain.len());
        body.copy_from_slice(plain);
        let tag = self
            .key()
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
            .expect("AES-GCM accepts blocks far below its 64 GiB limit");
        tag_out.copy_from_slice(tag.as_ref());
    }

    /// Opens a block sealed by [`PageCipher::seal`] into `out`, checking `aad`.
    ///
    /// On failure `out` is zeroed, so unauthenticated bytes never escape.
    pub fn open(&self, aad: &[u8], sealed: &[u8], out: &mut [u8]) -> Result<(), SealError> {
        if sealed.len() != out.len() + SEALED_OVERHEAD {
            return Err(SealError);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(out.len());
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError)?;
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| SealError)?;
        out.copy_from_slice(body);
        let result =
            self.key().open_in_place_separate_tag(nonce, Aad::from(aad), Tag::from(tag), out, 0..);
        if result.is_err() {
            out.fill(0);
            return Err(SealError);
        }
        Ok(())
    }
}

impl Drop for PageCipher {
    fn drop(&mut self) {
        // SAFETY: `aead` is a live, exclusively owned allocation of the right size; a
        // `MaybeUninit` owns no other data, has no `Drop`, and all zeros is a valid value.
        unsafe { zeroize::zeroize_flat_type(&mut *self.aead as *mut MaybeUninit<LessSafeKey>) }
    }
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| {
        Error::internal(format!("could not read from the system random number generator: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> PageCipher {
        PageCipher::new(&DataKey::random().unwrap()).unwrap()
    }

    #[test]
    fn round_trips_and_detects_changes() {
        let c = cipher();
        let plain = b"hello pages".to_vec();
        let mut sealed = vec![0u8; plain.len() + SEALED_OVERHEAD];
        c.seal(b"page 7", &plain, &mut sealed);
        assert_ne!(&sealed[NONCE_LEN..NONCE_LEN + plain.len()], &plain[..]);
        let mut out = vec![0u8; plain.len()];
        c.open(b"page 7", &sealed, &mut out).unwrap();
        assert_eq!(out, plain);
        assert_eq!(c.open(b"page 8", &sealed, &mut out), Err(SealError));
        assert_eq!(out, vec![0u8; plain.len()]);
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(c.open(b"page 7", &bad, &mut out), Err(SealError), "byte {i}");
        }
        assert_eq!(cipher().open(b"page 7", &sealed, &mut out), Err(SealError));
    }

    #[test]
    fn nonces_do_not_repeat() {
        let c = cipher();
        let mut a = vec![0u8; 4 + SEALED_OVERHEAD];
        let mut b = vec![0u8; 4 + SEALED_OVERHEAD];
        c.seal(b"", b"same", &mut a);
        c.seal(b"", b"same", &mut b);
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
        assert_ne!(a, b);
    }

    #[test]
    fn debug_hides_keys() {
        let k = DataKey::random().unwrap();
        assert_eq!(format!("{k:?}"), "DataKey(<redacted>)");
    }
}
