//! Opening a database.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use helios_common::Result;
use helios_sql::Engine;
use helios_storage::{
    Durability, KeySource, Storage, StorageOptions, DEFAULT_RETENTION, DEFAULT_SPILL_THRESHOLD,
};

use crate::Connection;

/// How a database on disk is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// `Durable` (default): a commit is on stable storage when it returns. `Relaxed`: it
    /// may be lost in a crash, but never partly.
    pub durability: Durability,
    /// Encryption at rest with this key; `None` for none.
    pub encryption: Option<KeySource>,
    /// How long old row versions stay readable for time travel (default 24 h).
    pub retention: Duration,
    /// Estimated bytes of a transaction's buffered writes above which they spill to a
    /// temporary file (default 256 MiB); lower it to bound the memory of large loads.
    pub spill_threshold: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            durability: Durability::Durable,
            encryption: None,
            retention: DEFAULT_RETENTION,
            spill_threshold: DEFAULT_SPILL_THRESHOLD,
        }
    }
}

/// An open database. Cheap to clone; every clone is the same database.
#[derive(Debug, Clone)]
pub struct Database {
    engine: Arc<Engine>,
}

impl Database {
    /// Opens (or creates) a database in the directory `path`.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<Database> {
        let storage = Storage::open(
            path.as_ref(),
            StorageOptions {
                durability: options.durability,
                encryption: options.encryption,
                retention: options.retention,
            },
        )?;
        storage.set_spill_threshold(options.spill_threshold);
        Ok(Database { engine: Engine::new(storage)? })
    }

    /// A new database that lives in memory only.
    pub fn open_in_memory() -> Result<Database> {
        Ok(Database { engine: Engine::open_memory()? })
    }

    /// The engine underneath (branch and time-travel helpers).
    pub(crate) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// A new connection (session) to the database.
    pub fn connect(&self) -> Connection {
        Connection::new(self.engine.session())
    }
}
