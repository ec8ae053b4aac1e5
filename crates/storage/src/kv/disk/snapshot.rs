//! A read view of the disk engine: one redb read transaction, shared by the snapshots
//! taken while nothing is written.

use std::sync::Arc;

use helios_common::Result;
use redb::ReadOnlyTable;

use super::errors::{from_redb, guard};
use crate::kv::{range_is_empty, KvRange, KvScan, Snapshot, VisitFn};

/// A [`Snapshot`] over a redb read transaction's view of the key-value table.
pub(crate) struct DiskSnapshot {
    pub(crate) table: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl Snapshot for DiskSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        guard("could not read key", || {
            let value = self.table.get(key).map_err(|e| from_redb("could not read key", e))?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>> {
        if range_is_empty(&range) {
            return Ok(Box::new(std::iter::empty()));
        }
        let ctx = "could not scan key range";
        let iter = guard(ctx, || self.table.range::<&[u8]>(range).map_err(|e| from_redb(ctx, e)))?;
        let iter: Box<dyn Iterator<Item = _>> =
            if reverse { Box::new(iter.rev()) } else { Box::new(iter) };
        Ok(Box::new(GuardedScan { iter, failed: false }))
    }

    fn visit(&self, range: KvRange<'_>, reverse: bool, f: &mut VisitFn<'_>) -> Result<()> {
        if range_is_empty(&range) {
            return Ok(());
        }
        let ctx = "could not scan key range";
        guard(ctx, || self.visit_unguarded(range, reverse, f))
    }
}

/// A [`Snapshot`] sharing one [`DiskSnapshot`] with the other snapshots taken between
/// the same two writes.
pub(crate) struct SharedSnapshot(pub(crate) Arc<DiskSnapshot>);

impl Snapshot for SharedSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.0.get(key)
    }

    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>> {
        self.0.scan(range, reverse)
    }

    fn visit(&self, range: KvRange<'_>, reverse: bool, f: &mut VisitFn<'_>) -> Result<()> {
        self.0.visit(range, reverse, f)
    }
}

impl DiskSnapshot {
    fn visit_unguarded(
        &self,
        range: KvRange<'_>,
        reverse: bool,
        f: &mut VisitFn<'_>,
    ) -> Result<()> {
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

type RedbItem = std::result::Result<
    (redb::AccessGuard<'static, &'static [u8]>, redb::AccessGuard<'static, &'static [u8]>),
    redb::StorageError,
>;

/// A scan whose steps run under [`guard`]; it ends after the first error.
struct GuardedScan {
    iter: Box<dyn Iterator<Item = RedbItem>>,
    failed: bool,
}

impl Iterator for GuardedScan {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let ctx = "could not scan key range";
        let step = guard(ctx, || {
            self.iter
                .next()
                .map(|item| {
                    let (k, v) = item.map_err(|e| from_redb(ctx, e))?;
                    Ok((k.value().to_vec(), v.value().to_vec()))
                })
                .transpose()
        });
        match step {
            Ok(item) => item.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
