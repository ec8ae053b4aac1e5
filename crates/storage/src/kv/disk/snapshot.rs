//! A read view of the disk engine: one redb read transaction.

use std::ops::Bound;

use helios_common::Result;
use redb::ReadOnlyTable;

use super::errors::from_redb;
use crate::kv::{KvRange, KvScan, Snapshot, VisitFn};

/// A [`Snapshot`] over a redb read transaction's view of the key-value table.
pub(crate) struct DiskSnapshot {
    pub(crate) table: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

/// Whether `range` cannot hold any key (redb, like `BTreeMap`, rejects such ranges).
fn is_empty_range(range: &KvRange<'_>) -> bool {
    match *range {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b))
        | (Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
        _ => false,
    }
}

impl Snapshot for DiskSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = self.table.get(key).map_err(|e| from_redb("could not read key", e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>> {
        if is_empty_range(&range) {
            return Ok(Box::new(std::iter::empty()));
        }
        let iter = self
            .table
            .range::<&[u8]>(range)
            .map_err(|e| from_redb("could not scan key range", e))?;
        let pairs = |item: std::result::Result<_, redb::StorageError>| {
            let (k, v): (redb::AccessGuard<'_, &[u8]>, redb::AccessGuard<'_, &[u8]>) =
                item.map_err(|e| from_redb("could not scan key range", e))?;
            Ok((k.value().to_vec(), v.value().to_vec()))
        };
        if reverse {
            Ok(Box::new(iter.rev().map(pairs)))
        } else {
            Ok(Box::new(iter.map(pairs)))
        }
    }

    fn visit(&self, range: KvRange<'_>, reverse: bool, f: &mut VisitFn<'_>) -> Result<()> {
        if is_empty_range(&range) {
            return Ok(());
        }
        let iter = self
            .table
            .range::<&[u8]>(range)
            .map_err(|e| from_redb("could not scan key range", e))?;
        let mut step = |item: std::result::Result<_, redb::StorageError>| -> Result<bool> {
            let (k, v): (redb::AccessGuard<'_, &[u8]>, redb::AccessGuard<'_, &[u8]>) =
                item.map_err(|e| from_redb("could not scan key range", e))?;
            f(k.value(), v.value())
        };
        if reverse {
            for item in iter.rev() {
                if !step(item)? {
                    break;
                }
            }
        } else {
            for item in iter {
                if !step(item)? {
                    break;
                }
            }
        }
        Ok(())
    }
}
