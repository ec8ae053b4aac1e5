//! A read view of the disk engine: one redb read transaction, shared by the snapshots
//! taken while redb does not change, plus the *changes* of the commits redb does not
//! hold yet (the journal holds them durably; redb gets them at the next checkpoint or
//! background flush; see [`super::layers`]).
//!
//! ```text
//!   snapshot = redb view + changes (a cheap clone)
//!   get:  the changes first (a put, or a delete that hides redb's value), then redb
//!   scan: redb's pairs and the changes merged in key order; the changes win ties
//! ```

use std::cmp::Ordering;
use std::iter::Peekable;
use std::sync::Arc;

use helios_common::Result;
use redb::ReadOnlyTable;

use super::errors::{from_redb, guard};
use super::layers::{ChangeIter, Changes};
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

/// A [`Snapshot`] of the disk engine: a redb view shared with the other snapshots taken
/// since redb last changed, and the changes redb did not hold then.
pub(crate) struct SharedSnapshot {
    pub(crate) redb: Arc<DiskSnapshot>,
    pub(crate) changes: Changes,
}

impl Snapshot for SharedSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.changes.get(key) {
            Some(v) => Ok(v.map(<[u8]>::to_vec)),
            None => self.redb.get(key),
        }
    }

    fn scan<'a>(&'a self, range: KvRange<'_>, reverse: bool) -> Result<KvScan<'a>> {
        if self.changes.is_empty() || range_is_empty(&range) {
            return self.redb.scan(range, reverse);
        }
        let redb = self.redb.scan(range, reverse)?.peekable();
        let changes = self.changes.range(range, reverse).peekable();
        Ok(Box::new(MergedScan { redb, changes, reverse }))
    }

    fn visit(&self, range: KvRange<'_>, reverse: bool, f: &mut VisitFn<'_>) -> Result<()> {
        if self.changes.is_empty() || range_is_empty(&range) {
            return self.redb.visit(range, reverse, f);
        }
        let mut changes = self.changes.range(range, reverse);
        let mut next = changes.next();
        // Whether `a` comes before `b` in the scan's order.
        let before = |a: &[u8], b: &[u8]| if reverse { a > b } else { a < b };
        let mut stopped = false;
        self.redb.visit(range, reverse, &mut |k, v| {
            // Changes that come first, then the change of `k` if any.
            while let Some((ok, ov)) = next {
                if !before(ok, k) {
                    break;
                }
                next = changes.next();
                if let Some(ov) = ov {
                    if !f(ok, ov)? {
                        stopped = true;
                        return Ok(false);
                    }
                }
            }
            let value = match next {
                Some((ok, ov)) if ok == k => {
                    next = changes.next();
                    match ov {
                        Some(ov) => ov,
                        None => return Ok(true), // deleted since the checkpoint
                    }
                }
                _ => v,
            };
            let go_on = f(k, value)?;
            stopped = !go_on;
            Ok(go_on)
        })?;
        if stopped {
            return Ok(());
        }
        while let Some((ok, ov)) = next {
            next = changes.next();
            if let Some(ov) = ov {
                if !f(ok, ov)? {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// redb's pairs and the changes, merged in scan order; the change wins when both hold a
/// key, and deletes hide the key.
struct MergedScan<'a> {
    redb: Peekable<KvScan<'a>>,
    changes: Peekable<ChangeIter<'a>>,
    reverse: bool,
}

impl Iterator for MergedScan<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let from_changes = match (self.redb.peek(), self.changes.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) | (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(Ok((rk, _))), Some((ok, _))) => {
                    let mut ord = (*ok).cmp(rk.as_slice());
                    if self.reverse {
                        ord = ord.reverse();
                    }
                    match ord {
                        Ordering::Less => true,
                        Ordering::Equal => {
                            self.redb.next();
                            true
                        }
                        Ordering::Greater => false,
                    }
                }
            };
            if !from_changes {
                return self.redb.next();
            }
            match self.changes.next() {
                Some((k, Some(v))) => return Some(Ok((k.to_vec(), v.to_vec()))),
                Some((_, None)) => continue,
                None => return None,
            }
        }
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
