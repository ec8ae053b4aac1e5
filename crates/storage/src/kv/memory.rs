//! [`MemoryEngine`]: an ordered in-memory map for `--memory` databases and tests.
//!
//! The map is a persistent B+tree ([`imbl::OrdMap`]): a snapshot is an O(1) clone that
//! shares all nodes with the live map, and a write copies only the nodes on the paths it
//! changes. Writers are serialized by a mutex; a batch is applied to a private clone and
//! published with one pointer swap, so a snapshot sees all of a batch or none of it.
//!
//! Keys and values are reference-counted byte slices: copying a node on a write path
//! (each of up to 64 entries) then only bumps reference counts instead of copying every
//! key and value of the node, which made small commits on a large map pay for hundreds of
//! allocations per key written.

use std::ops::Bound;
use std::sync::Arc;

use helios_common::Result;
use imbl::OrdMap;
use parking_lot::{Mutex, RwLock};

use super::{Engine, KvRange, KvScan, PackedBatch, Snapshot, VisitFn, WriteBatch, WriteOp};

type Map = OrdMap<Arc<[u8]>, Arc<[u8]>>;

/// An [`Engine`] that keeps everything in memory. Nothing survives the process.
#[derive(Debug, Default)]
pub struct MemoryEngine {
    /// The published map; readers clone it.
    current: RwLock<Map>,
    /// Serializes writers so a batch is built on the latest map.
    writer: Mutex<()>,
}

impl MemoryEngine {
    /// An empty engine.
    pub fn new() -> MemoryEngine {
        MemoryEngine::default()
    }

    /// The number of keys stored (tests use it to check that data was freed).
    pub fn len(&self) -> usize {
        self.current.read().len()
    }

    /// Whether no key is stored.
    pub fn is_empty(&self) -> bool {
        self.current.read().is_empty()
    }
}

impl Engine for MemoryEngine {
    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        Ok(Box::new(MemorySnapshot { map: self.current.read().clone() }))
    }

    fn write(&self, batch: WriteBatch, _durable: bool) -> Result<()> {
        let _writer = self.writer.lock();
        let mut map = self.current.read().clone();
        for op in batch.ops {
            match op {
                WriteOp::Put(k, v) => {
                    map.insert(k.into(), v.into());
                }
                WriteOp::Delete(k) => {
                    map.remove(k.as_slice());
                }
            }
        }
        *self.current.write() = map;
        Ok(())
    }

    fn write_packed(&self, batch: PackedBatch, _durable: bool) -> Result<()> {
        let _writer = self.writer.lock();
        let mut map = self.current.read().clone();
        for (k, v) in batch.iter() {
            match v {
                Some(v) => {
                    map.insert(k.into(), v.into());
                }
                None => {
                    map.remove(k);
                }
            }
        }
        *self.current.write() = map;
        Ok(())
    }
}

/// An immutable view of a [`MemoryEngine`].
#[derive(Debug)]
struct MemorySnapshot {
    map: Map,
}

/// Whether `range` contains no key at all (and would make a range iterator panic).
pub(crate) fn range_is_empty(range: &KvRange<'_>) -> bool {
    match *range {
        (Bound::Included(lo), Bound::Included(hi)) => lo > hi,
        (Bound::Included(lo), Bound::Excluded(hi))
        | (Bound::Excluded(lo), Bound::Included(hi))
        | (Bound::Excluded(lo), Bound::Excluded(hi)) => lo >= hi,
        _ => false,
    }
}

impl Snapshot for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.get(key).map(|v| v.to_vec()))
    }

    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>> {
        if range_is_empty(&range) {
            return Ok(Box::new(std::iter::empty()));
        }
        let iter = self.map.range::<_, [u8]>(range).map(|(k, v)| Ok((k.to_vec(), v.to_vec())));
        if reverse {
            Ok(Box::new(iter.rev()))
        } else {
            Ok(Box::new(iter))
        }
    }

    fn visit(&self, range: KvRange<'_>, reverse: bool, f: &mut VisitFn<'_>) -> Result<()> {
        if range_is_empty(&range) {
            return Ok(());
        }
        let iter = self.map.range::<_, [u8]>(range);
        if reverse {
            for (k, v) in iter.rev() {
                if !f(k, v)? {
                    break;
                }
            }
        } else {
            for (k, v) in iter {
                if !f(k, v)? {
                    break;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &dyn Snapshot, range: KvRange<'_>, reverse: bool) -> Vec<Vec<u8>> {
        s.scan(range, reverse).expect("scan").map(|r| r.expect("row").0).collect()
    }

    #[test]
    fn snapshots_are_isolated_and_scans_ordered() {
        let e = MemoryEngine::new();
        let mut b = WriteBatch::default();
        for k in [b"b".as_slice(), b"a", b"c"] {
            b.put(k, k);
        }
        e.write(b, true).expect("write");
        let s1 = e.snapshot().expect("snap");
        let mut b = WriteBatch::default();
        b.delete(b"a".as_slice());
        b.put(b"d".as_slice(), b"d".as_slice());
        e.write(b, true).expect("write");
        let s2 = e.snapshot().expect("snap");
        let all = (Bound::Unbounded, Bound::Unbounded);
        assert_eq!(collect(&*s1, all, false), vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(collect(&*s2, all, true), vec![b"d".to_vec(), b"c".to_vec(), b"b".to_vec()]);
        assert_eq!(
            collect(
                &*s2,
                (Bound::Excluded(b"b".as_slice()), Bound::Included(b"d".as_slice())),
                false
            ),
            vec![b"c".to_vec(), b"d".to_vec()]
        );
        assert!(collect(
            &*s2,
            (Bound::Excluded(b"b".as_slice()), Bound::Excluded(b"b".as_slice())),
            false
        )
        .is_empty());
        assert_eq!(s1.get(b"a").expect("get"), Some(b"a".to_vec()));
        assert_eq!(s2.get(b"a").expect("get"), None);
        assert_eq!(e.len(), 3);
    }
}
