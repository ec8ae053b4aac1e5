//! A transaction's buffered writes and its savepoints.
//!
//! Writes are kept in an ordered in-memory map until commit, so reads and scans can merge
//! them over the snapshot. Savepoints are marks in an undo log: each write records the
//! entry it replaced, and rolling back to a mark replays the log backwards down to it.
//!
//! TODO(spill): the buffer lives in memory. Large transactions will spill it into a
//! per-transaction temporary keyspace of the engine (`[0x05][txn][escaped key]`, deleted
//! at commit or rollback) once the buffer passes a size threshold; the write set's
//! interface (ordered get/range/insert) is what that spill area will implement.

use std::collections::BTreeMap;
use std::ops::Bound;

use helios_common::Timestamp;

/// One buffered write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The new value; `None` deletes.
    pub value: Option<Vec<u8>>,
    /// The read timestamp of the statement that first wrote the key in this transaction:
    /// a version committed after it is a write-write conflict.
    pub since: Timestamp,
}

/// The write buffer of one transaction.
#[derive(Debug, Default)]
pub(crate) struct WriteSet {
    entries: BTreeMap<Vec<u8>, Pending>,
    /// `(key, entry it replaced)`, recorded once a savepoint exists.
    undo: Vec<(Vec<u8>, Option<Pending>)>,
    recording: bool,
}

impl WriteSet {
    /// Buffers a write of `key` made by a statement reading at `read_ts`.
    pub(crate) fn write(&mut self, key: &[u8], value: Option<Vec<u8>>, read_ts: Timestamp) {
        let since = self.entries.get(key).map_or(read_ts, |p| p.since);
        let old = self.entries.insert(key.to_vec(), Pending { value, since });
        if self.recording {
            self.undo.push((key.to_vec(), old));
        }
    }

    /// The buffered write of `key`: `Some(None)` is a buffered delete.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.entries.get(key).map(|p| p.value.as_deref())
    }

    /// The buffered writes inside `range`, ascending.
    pub(crate) fn range<'a>(
        &'a self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    ) -> impl DoubleEndedIterator<Item = (&'a Vec<u8>, &'a Pending)> + 'a {
        let r = crate::mvcc::keys::as_kv_range(range);
        let empty = crate::kv::range_is_empty(&r);
        let iter = if empty { None } else { Some(self.entries.range::<[u8], _>(r)) };
        iter.into_iter().flatten()
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

    /// The writes, ascending by key.
    pub(crate) fn into_entries(self) -> BTreeMap<Vec<u8>, Pending> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn savepoints_nest_and_stay_usable() {
        let mut w = WriteSet::default();
        w.write(b"a", Some(b"1".to_vec()), Timestamp(5));
        let sp1 = w.mark();
        w.write(b"a", Some(b"2".to_vec()), Timestamp(6));
        w.write(b"b", None, Timestamp(6));
        let sp2 = w.mark();
        w.write(b"c", Some(b"3".to_vec()), Timestamp(7));
        assert!(w.rollback_to(sp2));
        assert_eq!(w.get(b"c"), None);
        assert_eq!(w.get(b"b"), Some(None));
        assert!(w.rollback_to(sp1));
        assert_eq!(w.get(b"a"), Some(Some(b"1".as_slice())));
        assert_eq!(w.get(b"b"), None);
        assert!(!w.rollback_to(sp2), "sp2 was released by rolling back past it");
        w.write(b"d", Some(vec![]), Timestamp(8));
        assert!(w.rollback_to(sp1), "sp1 stays usable");
        assert_eq!(w.get(b"d"), None);
        // The first write's read timestamp is the one conflicts are checked against.
        assert_eq!(w.into_entries()[b"a".as_slice()].since, Timestamp(5));
    }
}
