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

/// Marks a delete in [`PackedBatch`]'s value length.
const PACKED_DELETE: u32 = u32::MAX;

/// Changes applied all together or not at all, packed into one buffer.
///
/// The same as a [`WriteBatch`], but every key and value is appended to one growing buffer
/// instead of owning an allocation each: a commit of millions of rows makes a handful of
/// large allocations rather than millions of small ones (whose freeing fragments the heap
/// and slows down whoever allocates next). The commit path builds these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackedBatch {
    data: Vec<u8>,
    /// `(start of the key in data, key length, value length or PACKED_DELETE)`.
    ops: Vec<(usize, u32, u32)>,
}

impl PackedBatch {
    /// Adds a put.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.put_parts(&[key], &[value]);
    }

    /// Adds a put whose key and value are the concatenations of `key` and `value` parts.
    pub fn put_parts(&mut self, key: &[&[u8]], value: &[&[u8]]) {
        let start = self.data.len();
        key.iter().for_each(|p| self.data.extend_from_slice(p));
        let key_len = self.data.len() - start;
        value.iter().for_each(|p| self.data.extend_from_slice(p));
        let value_len = self.data.len() - start - key_len;
        self.ops.push((start, len32(key_len), len32(value_len).min(PACKED_DELETE - 1)));
    }

    /// Adds a delete.
    pub fn delete(&mut self, key: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(key);
        self.ops.push((start, len32(key.len()), PACKED_DELETE));
    }

    /// Whether the batch has no changes.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The number of changes.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// The changes in order: `(key, Some(value))` for a put, `(key, None)` for a delete.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> + '_ {
        self.ops.iter().map(|&(start, k, v)| {
            let key_end = start + k as usize;
            let key = &self.data[start..key_end];
            if v == PACKED_DELETE {
                (key, None)
            } else {
                (key, Some(&self.data[key_end..key_end + v as usize]))
            }
        })
    }

    /// The same changes as a [`WriteBatch`].
    pub fn to_write_batch(&self) -> WriteBatch {
        let ops = self
            .iter()
            .map(|(k, v)| match v {
                Some(v) => WriteOp::Put(k.to_vec(), v.to_vec()),
                None => WriteOp::Delete(k.to_vec()),
            })
            .collect();
        WriteBatch { ops }
    }
}

/// A length as `u32`; keys and values above 4 GiB are refused long before (redb's limit).
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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

    /// [`Engine::write`] for a [`PackedBatch`], with the same promises. Engines override
    /// it to avoid the conversion, which allocates every key and value.
    fn write_packed(&self, batch: PackedBatch, durable: bool) -> Result<()> {
        self.write(batch.to_write_batch(), durable)
    }

    /// Applies `batch` atomically at once (snapshots see it) and returns a token; the
    /// batch is durable once [`Engine::sync_to`] of that token returned `Ok`. Lets a
    /// committer release its locks before it waits for the sync, so that the next
    /// writer of the same rows works while the sync runs. Engines without such a split
    /// write durably here and return `None`: durable already.
    fn write_packed_deferred(&self, batch: PackedBatch) -> Result<Option<u64>> {
        self.write_packed(batch, true).map(|()| None)
    }

    /// Returns once every write whose token ([`Engine::write_packed_deferred`]) is at
    /// most `token` is durable; `u64::MAX` stands for every write so far. A failed sync
    /// poisons the engine and fails every write not durable yet.
    fn sync_to(&self, token: u64) -> Result<()> {
        let _ = token;
        Ok(())
    }

    /// Writes everything committed so far into the engine's main data structure and
    /// waits for any background work on it (the disk engine's flush and checkpoint);
    /// engines without such work do nothing. Commits are durable without it.
    fn checkpoint(&self) -> Result<()> {
        Ok(())
    }

    /// [`Engine::write`] for changes produced one at a time: `fill` calls the sink it is
    /// given with each `(key, value)` (`None` deletes), in order. All or nothing, as a
    /// batch; an error from `fill` writes nothing. Engines override it to stream the
    /// changes instead of holding them all (the commit of a huge transaction).
    ///
    /// `in_memory` says that the caller holds the changes in memory already (its write
    /// set did not spill): an engine may then keep a copy of them whole, as the disk
    /// engine does for a large commit it journals.
    fn write_with(&self, fill: &mut FillFn<'_>, durable: bool, in_memory: bool) -> Result<()> {
        let _ = in_memory;
        let mut batch = PackedBatch::default();
        fill(&mut |k, v| {
            match v {
                Some(parts) => batch.put_parts(&[k], parts),
                None => batch.delete(k),
            }
            Ok(())
        })?;
        self.write_packed(batch, durable)
    }
}

/// What [`Snapshot::visit`] calls with each pair; `false` stops the visit.
pub type VisitFn<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// A sink of changes: `(key, value)`, the value given as parts to concatenate (so a
/// producer need not copy a header and a body together first); `None` deletes.
pub type SinkFn<'a> = dyn FnMut(&[u8], Option<&[&[u8]]>) -> Result<()> + 'a;

/// Produces the changes of [`Engine::write_with`] into the sink it is given (on another
/// thread than the caller's, if the engine so chooses).
pub type FillFn<'a> = dyn FnMut(&mut SinkFn<'_>) -> Result<()> + Send + 'a;

/// A consistent read view of an [`Engine`].
pub trait Snapshot: Send + Sync {
    /// The value stored at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The pairs inside `range`, ascending, or descending when `reverse`.
    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>>;

    /// Calls `f` with each pair inside `range` (ascending, or descending when `reverse`)
    /// until it returns `false` or an error. Engines override it to hand out borrowed
    /// bytes, so pairs the caller skips are never copied.
    fn visit(&self, range: KvRange<'_>, reverse: bool, f: &mut VisitFn<'_>) -> Result<()> {
        for row in self.scan(range, reverse)? {
            let (k, v) = row?;
            if !f(&k, &v)? {
                break;
            }
        }
        Ok(())
    }
}
