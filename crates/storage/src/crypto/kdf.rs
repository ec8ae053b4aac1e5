//! Argon2id parameters and passphrase stretching.

use argon2::{Algorithm, Argon2, Params, Version};
use helios_common::{Error, Result, SqlState};
use zeroize::Zeroizing;

/// Argon2id cost parameters used when a key-encryption key is derived from a passphrase.
///
/// They are stored in the key header, so a database opens with the parameters it was
/// created (or last re-keyed) with, whatever the defaults are today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// The OWASP recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        KdfParams { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

impl KdfParams {
    /// Cheap parameters for tests only: never use them for real data.
    pub fn insecure_fast() -> Self {
        KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 }
    }

    /// Stretches `passphrase` with `salt` into a 256-bit key.
    pub(crate) fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| {
                Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid Argon2id parameters: {e}"),
                )
            })?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase, salt, out.as_mut())
            .map_err(|e| Error::internal(format!("Argon2id key derivation failed: {e}")))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_depends_on_passphrase_and_salt() {
        let p = KdfParams::insecure_fast();
        let a = p.derive(b"secret", b"0123456789abcdef").unwrap();
        let b = p.derive(b"secret", b"0123456789abcdef").unwrap();
        let c = p.derive(b"secreT", b"0123456789abcdef").unwrap();
        let d = p.derive(b"secret", b"0123456789abcdeF").unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
        assert_ne!(*a, *d);
    }

    #[test]
    fn bad_parameters_are_an_error() {
        let p = KdfParams { memory_kib: 1, iterations: 0, parallelism: 0 };
        assert!(p.derive(b"x", b"0123456789abcdef").is_err());
    }
}
