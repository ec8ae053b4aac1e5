//! A transaction's buffered writes and its savepoints.
//!
//! Writes are kept in an ordered in-memory index until commit, so reads and scans can
//! merge them over the snapshot. Savepoints are marks in an undo log: each write records
//! the entry it replaced, and rolling back to a mark replays the log backwards down to it.
//!
//! Memory layout: values are appended to an arena of large chunks, and keys up to
//! [`INLINE_KEY`] bytes are stored inside the index entry. A transaction writing millions
//! of rows therefore makes a few large allocations instead of two small ones per row
//! (freeing millions of small allocations at commit fragments the heap and makes the next
//! large allocation anywhere in the process pay for consolidating it). Overwritten values
//! stay in the arena until the transaction ends.
//!
//! TODO(spill): the buffer lives in memory. Large transactions will spill it into a
//! per-transaction temporary area once the arena passes a size threshold (sorted runs,
//! encrypted when the database is); the write set's interface (ordered get/range/insert)
//! is what that spill area will implement.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::Bound;

use helios_common::Timestamp;

/// Keys up to this many bytes live inside the index entry (no allocation of their own).
pub(crate) const INLINE_KEY: usize = 30;

/// Size of one value arena chunk; larger values get a chunk of their own.
const CHUNK: usize = 1 << 20;

/// A user key: inline when short, boxed otherwise. Ordered and compared as bytes.
#[derive(Clone)]
pub(crate) enum SetKey {
    /// `(length, bytes)`.
    Inline(u8, [u8; INLINE_KEY]),
    /// A longer key.
    Heap(Box<[u8]>),
}

impl SetKey {
    fn new(key: &[u8]) -> SetKey {
        if key.len() <= INLINE_KEY {
            let mut buf = [0u8; INLINE_KEY];
            buf[..key.len()].copy_from_slice(key);
            SetKey::Inline(key.len() as u8, buf)
        } else {
            SetKey::Heap(key.into())
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            SetKey::Inline(n, buf) => &buf[..*n as usize],
            SetKey::Heap(b) => b,
        }
    }
}

impl Borrow<[u8]> for SetKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SetKey {
    fn eq(&self, other: &SetKey) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SetKey {}

impl PartialOrd for SetKey {
    fn partial_cmp(&self, other: &SetKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SetKey {
    fn cmp(&self, other: &SetKey) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::fmt::Debug for SetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::error::show_key(self.as_slice()))
    }
}

/// Where a value sits in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    chunk: u32,
    offset: u32,
    len: u32,
}

/// One buffered write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The new value; `None` deletes.
    value: Option<Slot>,
    /// The read timestamp of the statement that first wrote the key in this transaction:
    /// a version committed after it is a write-write conflict.
    pub since: Timestamp,
}

/// Append-only value storage in large chunks.
#[derive(Debug, Default)]
struct Arena {
    chunks: Vec<Vec<u8>>,
    bytes: usize,
}

impl Arena {
    fn push(&mut self, value: &[u8]) -> Slot {
        let fits = self.chunks.last().is_some_and(|c| c.capacity() - c.len() >= value.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(value.len())));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let offset = c.len();
        c.extend_from_slice(value);
        self.bytes += value.len();
        Slot { chunk: chunk as u32, offset: offset as u32, len: value.len() as u32 }
    }

    fn get(&self, slot: Slot) -> &[u8] {
        let start = slot.offset as usize;
        &self.chunks[slot.chunk as usize][start..start + slot.len as usize]
    }
}

/// The write buffer of one transaction.
#[derive(Debug, Default)]
pub(crate) struct WriteSet {
    entries: BTreeMap<SetKey, Pending>,
    arena: Arena,
    /// `(key, entry it replaced)`, recorded once a savepoint exists.
    undo: Vec<(SetKey, Option<Pending>)>,
    recording: bool,
}

impl WriteSet {
    /// Buffers a write of `key` made by a statement reading at `read_ts`.
    pub(crate) fn write(&mut self, key: &[u8], value: Option<&[u8]>, read_ts: Timestamp) {
        use std::collections::btree_map::Entry;
        let value = value.map(|v| self.arena.push(v));
        let key = SetKey::new(key);
        let undo = self.recording.then(|| key.clone());
        let old = match self.entries.entry(key) {
            Entry::Occupied(mut e) => {
                let old = *e.get();
                e.get_mut().value = value;
                Some(old)
            }
            Entry::Vacant(e) => {
                e.insert(Pending { value, since: read_ts });
                None
            }
        };
        if let Some(key) = undo {
            self.undo.push((key, old));
        }
    }

    /// Buffers a write of `key` checked for conflicts against versions after `since`.
    pub(crate) fn write_since(&mut self, key: &[u8], value: Option<&[u8]>, since: Timestamp) {
        self.write(key, value, since);
        if let Some(p) = self.entries.get_mut(key) {
            p.since = since;
        }
    }

    fn value(&self, p: &Pending) -> Option<&[u8]> {
        p.value.map(|s| self.arena.get(s))
    }

    /// The buffered write of `key`: `Some(None)` is a buffered delete.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.entries.get(key).map(|p| self.value(p))
    }

    /// The buffered writes inside `range`, ascending: `(key, value)`, `None` deletes.
    pub(crate) fn range<'a>(
        &'a self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    ) -> impl DoubleEndedIterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a {
        let r = crate::mvcc::keys::as_kv_range(range);
        let empty = crate::kv::range_is_empty(&r) || self.entries.is_empty();
        let iter = if empty { None } else { Some(self.entries.range::<[u8], _>(r)) };
        iter.into_iter().flatten().map(|(k, p)| (k.as_slice(), self.value(p)))
    }

    /// Every buffered write, ascending: `(key, value, since)`.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>, Timestamp)> + '_ {
        self.entries.iter().map(|(k, p)| (k.as_slice(), self.value(p), p.since))
    }

    /// The number of keys written.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// A mark to roll back to.
    pub(crate) fn mark(&mut self) -> usize {
        self.recording = true;
        self.undo.len()
    }

    /// Undoes every write made after `mark`; `false` when the mark is gone.
    pub(crate) fn rollback_to(&mut self, mark: usize) -> bool {
        if mark > self.undo.len() {
            return false;
        }
        while self.undo.len() > mark {
            let Some((key, old)) = self.undo.pop() else { break };
            match old {
                Some(p) => self.entries.insert(key, p),
                None => self.entries.remove(&key),
            };
        }
        true
    }

    /// Whether nothing was written.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn savepoints_nest_and_stay_usable() {
        let mut w = WriteSet::default();
        w.write(b"a", Some(b"1"), Timestamp(5));
        let sp1 = w.mark();
        w.write(b"a", Some(b"2"), Timestamp(6));
        w.write(b"b", None, Timestamp(6));
        let sp2 = w.mark();
        w.write(b"c", Some(b"3"), Timestamp(7));
        assert!(w.rollback_to(sp2));
        assert_eq!(w.get(b"c"), None);
        assert_eq!(w.get(b"b"), Some(None));
        assert!(w.rollback_to(sp1));
        assert_eq!(w.get(b"a"), Some(Some(b"1".as_slice())));
        assert_eq!(w.get(b"b"), None);
        assert!(!w.rollback_to(sp2), "sp2 was released by rolling back past it");
        w.write(b"d", Some(&[]), Timestamp(8));
        assert!(w.rollback_to(sp1), "sp1 stays usable");
        assert_eq!(w.get(b"d"), None);
        // The first write's read timestamp is the one conflicts are checked against.
        let a: Vec<_> = w.iter().filter(|(k, _, _)| *k == b"a").collect();
        assert_eq!(a, vec![(b"a".as_slice(), Some(b"1".as_slice()), Timestamp(5))]);
    }

    #[test]
    fn long_keys_large_values_and_order() {
        let mut w = WriteSet::default();
        let long = vec![7u8; INLINE_KEY + 5];
        let big = vec![9u8; CHUNK + 10];
        w.write(&long, Some(&big), Timestamp(1));
        w.write(b"\x07", Some(b"short"), Timestamp(1));
        w.write(&[7u8; INLINE_KEY], Some(b"edge"), Timestamp(1));
        assert_eq!(w.get(&long), Some(Some(big.as_slice())));
        let keys: Vec<Vec<u8>> = w.iter().map(|(k, _, _)| k.to_vec()).collect();
        assert_eq!(keys, vec![vec![7u8], vec![7u8; INLINE_KEY], long.clone()]);
        let r = (Bound::Excluded(vec![7u8]), Bound::Unbounded);
        let back: Vec<_> =
            w.range(&r).rev().map(|(k, v)| (k.to_vec(), v.map(<[u8]>::len))).collect();
        assert_eq!(back, vec![(long, Some(big.len())), (vec![7u8; INLINE_KEY], Some(4))]);
        assert_eq!(w.len(), 3);
    }
}
