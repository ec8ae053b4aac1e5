//! Options of a [`Storage`](crate::Storage) and of a [`Transaction`](crate::Transaction).

use std::time::Duration;

use helios_common::{BranchId, Timestamp};

pub use crate::crypto::KeySource;

/// Default retention of old versions: 24 hours.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// Default spill threshold: 256 MiB of buffered writes. A load of a million rows of
/// about 60 bytes stays in memory below it; re-reading a spilled run at commit costs
/// about half again as much per row as visiting memory.
pub const DEFAULT_SPILL_THRESHOLD: usize = 256 * 1024 * 1024;

/// When a commit is acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// The commit's batch is synced to stable storage before `commit` returns.
    #[default]
    Durable,
    /// The commit may be lost on a crash (never partly).
    Relaxed,
}

/// How a database is opened.
#[derive(Clone, Debug)]
pub struct StorageOptions {
    /// Whether commits are synced before they return.
    pub durability: Durability,
    /// Encryption at rest, when set.
    pub encryption: Option<KeySource>,
    /// How long superseded versions stay readable by time travel. Used when the database
    /// is created; afterwards the value persisted by [`Storage::set_retention`] wins.
    ///
    /// [`Storage::set_retention`]: crate::Storage::set_retention
    pub retention: Duration,
}

impl Default for StorageOptions {
    fn default() -> StorageOptions {
        StorageOptions {
            durability: Durability::Durable,
            encryption: None,
            retention: DEFAULT_RETENTION,
        }
    }
}

/// Transaction isolation level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Isolation {
    /// A fresh snapshot per statement ([`Transaction::new_statement`]); PostgreSQL's default.
    ///
    /// [`Transaction::new_statement`]: crate::Transaction::new_statement
    #[default]
    ReadCommitted,
    /// One snapshot for the whole transaction (snapshot isolation).
    RepeatableRead,
}

/// How a transaction starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnOptions {
    /// The branch read and written.
    pub branch: BranchId,
    /// The isolation level.
    pub isolation: Isolation,
    /// Refuse writes.
    pub read_only: bool,
    /// Time travel: a read-only snapshot at that time (implies `read_only`).
    pub as_of: Option<Timestamp>,
}

impl Default for TxnOptions {
    fn default() -> TxnOptions {
        TxnOptions {
            branch: BranchId::MAIN,
            isolation: Isolation::ReadCommitted,
            read_only: false,
            as_of: None,
        }
    }
}
