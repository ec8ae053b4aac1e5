//! Opening the database named on the command line.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_server::nano::NanoFactory;
use helios_server::SessionFactory;
use heliosdb_nano::{Database, KeySource, Options};

use crate::args::{Encryption, Storage};

/// The session factory over the database the arguments name.
pub fn open(storage: &Storage, encryption: &Encryption) -> Result<Arc<dyn SessionFactory>> {
    let key = match (&encryption.encryption_key_file, &encryption.encryption_passphrase_env) {
        (Some(file), _) => Some(KeySource::File(file.clone())),
        (None, Some(var)) => Some(KeySource::Env(var.clone())),
        (None, None) => None,
    };
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
