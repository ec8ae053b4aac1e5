//! Storage of HeliosDB Nano: ordered key-value engines below, MVCC transactions,
//! branches, time travel and encryption at rest above them. Nothing here knows SQL.
//!
//! ```text
//!   helios-sql ──▶ Transaction (mvcc) ──▶ kv::Engine ──▶ MemoryEngine | DiskEngine (redb)
//!                  Storage: branches, merge, retention, GC
//! ```
//!
//! - [`kv`]: the engine trait, the in-memory engine and the redb disk engine.
//! - [`crypto`]: encryption at rest (keys, key header, page sealing).
//! - [`mvcc`]: versioned keys, the clock, transactions, group commit, GC (module essay).
//! - [`branch`]: the branch registry, diff and merge.
//! - [`Storage`]: the handle that ties them together.
//! - [`temp_run`]: temporary run files for operators that outgrow their memory budget.
//! - `prefault`: a helper thread that faults in the memory a large write grows into.

pub mod branch;
pub mod crypto;
mod error;
pub mod kv;
pub mod mvcc;
mod options;
mod prefault;
mod storage;
pub mod temp_run;

pub use branch::{BranchInfo, DiffEntry, MergeConflict, MergeReport, MergeStrategy};
pub use error::{StorageError, MERGE_CONFLICT};
pub use mvcc::{
    Change, ChangeSet, CommitInfo, CommitRecord, GcStats, GcWorker, LockWait, ManualClock,
    RowLockStrength, RowLockWait, Savepoint, SystemClock, Transaction, VersionRecord, WallClock,
};
pub use options::{
    Durability, Isolation, KeySource, StorageOptions, TxnOptions, DEFAULT_RETENTION,
    DEFAULT_SPILL_THRESHOLD,
};
pub use storage::Storage;
pub use temp_run::{TempRun, TempRunReader, TempRunWriter};
