//! Opening the database named on the command line.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_server::nano::NanoFactory;
use helios_server::SessionFactory;
use heliosdb_nano::{Database, KeySource, Options};

use crate::args::{Encryption, Storage};

/// The environment variable a key (64 hexadecimal characters) is read from when no
/// flag names one.
pub const KEY_ENV: &str = "HELIOSDB_ENCRYPTION_KEY";

/// Where the encryption key comes from: `--encryption-key-file`, a passphrase in the
/// variable `--encryption-passphrase-env` names (stretched with Argon2id), or the key in
/// `HELIOSDB_ENCRYPTION_KEY`; none of them means no encryption.
fn key_source(encryption: &Encryption) -> Result<Option<KeySource>> {
    if let Some(file) = &encryption.encryption_key_file {
        return Ok(Some(KeySource::File(file.clone())));
    }
    if let Some(var) = &encryption.encryption_passphrase_env {
        let phrase = std::env::var(var).map_err(|_| {
            Error::new(
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                format!("environment variable \"{var}\" holding the passphrase is not set"),
            )
        })?;
        if phrase.is_empty() {
            return Err(Error::new(
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                format!("environment variable \"{var}\" holds an empty passphrase"),
            ));
        }
        return Ok(Some(KeySource::passphrase(phrase)));
    }
    Ok(std::env::var_os(KEY_ENV).map(|_| KeySource::Env(KEY_ENV.to_string())))
}

/// The session factory over the database the arguments name.
pub fn open(storage: &Storage, encryption: &Encryption) -> Result<Arc<dyn SessionFactory>> {
    let key = key_source(encryption)?;
    let db = match (&storage.data_dir, storage.memory) {
        (Some(dir), _) => Database::open(dir, Options { encryption: key, ..Options::default() })?,
        (None, true) => {
            if key.is_some() {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "encryption applies to a database on disk; use --data-dir",
                ));
            }
            Database::open_in_memory()?
        }
        (None, false) => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "give --memory or --data-dir DIR",
            ))
        }
    };
    Ok(Arc::new(NanoFactory::new(db)))
}
