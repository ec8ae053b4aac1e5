//! The key-value engine interface: an ordered byte-key store with atomic write batches
//! and consistent read snapshots. The MVCC layer is its only user; engines know nothing of
//! versions, branches or transactions.

mod engine;
mod memory;

use std::path::Path;
use std::sync::Arc;

use helios_common::{Error, Result};

pub use engine::{Engine, KvRange, KvScan, Snapshot, WriteBatch, WriteOp};
pub use memory::MemoryEngine;

pub(crate) use memory::range_is_empty;

use crate::StorageOptions;

/// Opens the on-disk engine in `dir`.
///
/// The redb-based `DiskEngine` is developed separately; until it is wired in here, opening
/// a directory fails with `0A000`.
pub fn open_disk(dir: &Path, options: &StorageOptions) -> Result<Arc<dyn Engine>> {
    let _ = (dir, options);
    Err(Error::unsupported("on-disk storage"))
}
