//! The [`Engine`] and [`Snapshot`] traits.

use std::ops::Bound;

use helios_common::Result;

/// A key range: lower and upper bound, each inclusive, exclusive or unbounded.
pub type KvRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);

/// An iterator over the (key, value) pairs of a scan, in key order or reverse key order.
pub type KvScan<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a>;

/// One change in a [`WriteBatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOp {
    /// Set `key` to the value.
    Put(Vec<u8>, Vec<u8>),
    /// Remove `key` (no error when absent).
    Delete(Vec<u8>),
}

/// Changes applied all together or not at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteBatch {
    /// The changes, applied in order.
    pub ops: Vec<WriteOp>,
}

impl WriteBatch {
    /// Adds a put.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Put(key.into(), value.into()));
    }

    /// Adds a delete.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push(WriteOp::Delete(key.into()));
    }

    /// Whether the batch has no changes.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// An ordered byte-key store.
///
/// Promises every engine keeps:
/// - [`Engine::write`] applies a batch atomically: a snapshot sees all of it or none.
/// - With `durable = true`, a batch that returned `Ok` survives a crash of the process
///   and of the machine. With `false` it may be lost on a crash, but never partly.
/// - After a failed write or sync the engine is *poisoned*: every later write returns an
///   error until the engine is reopened; reads keep working.
/// - Bytes read back from disk that do not check out give an error, never a panic.
pub trait Engine: Send + Sync + 'static {
    /// A consistent read view of the store as of now; later writes are not seen by it.
    fn snapshot(&self) -> Result<Box<dyn Snapshot>>;

    /// Applies `batch` atomically; with `durable`, syncs it to stable storage before
    /// returning.
    fn write(&self, batch: WriteBatch, durable: bool) -> Result<()>;
}

/// A consistent read view of an [`Engine`].
pub trait Snapshot: Send + Sync {
    /// The value stored at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The pairs inside `range`, ascending, or descending when `reverse`.
    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>>;
}
