//! A read view of the disk engine: one redb read transaction.

use helios_common::Result;
use redb::ReadOnlyTable;

use super::errors::from_redb;
use crate::kv::{range_is_empty, KvRange, KvScan, Snapshot};

/// A [`Snapshot`] over a redb read transaction's view of the key-value table.
pub(crate) struct DiskSnapshot {
    pub(crate) table: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl Snapshot for DiskSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let value = self.table.get(key).map_err(|e| from_redb("could not read key", e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>> {
        if range_is_empty(&range) {
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
}
