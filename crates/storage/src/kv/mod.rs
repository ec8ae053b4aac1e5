//! The key-value engine interface: an ordered byte-key store with atomic write batches
//! and consistent read snapshots. The MVCC layer is its only user; engines know nothing of
//! versions, branches or transactions.

mod disk;
mod engine;
pub mod faulty;
mod memory;

pub use disk::{
    open_disk, open_disk_with, DiskEngine, DiskOptions, FileBackend, PageCorrupted, PagedBackend,
    DATA_FILE, DEFAULT_CACHE_SIZE, DEFAULT_JOURNAL_BYTES, JOURNAL_FILE, KEY_HEADER_FILE,
    LOGICAL_PAGE, PHYSICAL_PAGE,
};
pub use engine::{
    Engine, FillFn, KvRange, KvScan, PackedBatch, SinkFn, Snapshot, VisitFn, WriteBatch, WriteOp,
};
pub use faulty::{FaultHandle, FaultyBackend};
pub use memory::MemoryEngine;

pub(crate) use memory::range_is_empty;
