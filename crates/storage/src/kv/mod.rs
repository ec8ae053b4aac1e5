//! The key-value engine interface: an ordered byte-key store with atomic write batches
//! and consistent read snapshots. The MVCC layer is its only user; engines know nothing of
//! versions, branches or transactions.

mod engine;

pub use engine::{Engine, KvRange, KvScan, Snapshot, WriteBatch, WriteOp};
