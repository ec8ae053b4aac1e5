//! Garbage collection of superseded versions, driven by the GC queue.
//!
//! Every commit that writes a new version of a key also queues the version it supersedes
//! (`[0x04][superseded_at][branch][version][key]`), and every tombstone queues itself. The
//! collector scans only the queue prefix superseded at or before its horizon, so its work
//! is proportional to the garbage, never to the keyspace.
//!
//! The horizon is `min(now - retention, oldest open snapshot)`. A version `v` superseded
//! at `s` is needed exactly by reads at timestamps in `[v, s)`; with `s <= horizon` no
//! allowed read falls there, except the reads of descendant branches through their fork
//! points: a child reading its parent at cap `c` with `v <= c < s` keeps `v` (its queue
//! entry stays, so it is freed once the child is dropped). Merge bases recorded in the
//! branch registry are kept the same way. The newest version at or below
//! the horizon is never superseded at or below it, so it is always kept.
//!
//! A tombstone on `main` is removed once no older version of its key remains (reads see
//! "absent" either way). A tombstone on a child branch shadows its parent and is kept.
//!
//! # The change index
//!
//! Diff and merge read a branch's change index over `(lo, hi]`, where `lo` is the smallest
//! cap their read chains give the branch, or 0 when one of the chains does not contain it
//! (`crate::branch::changed`). Every chain contains the root (`main`), and its caps there
//! are the current timestamp, fork points of existing branches, recorded merge bases, or
//! fork points of branches created later — at or after the read horizon, which only moves
//! forward. So the root's entries committed at or below `min(horizon, protected caps)`
//! are never read again, and the collector drops them: a range scan of exactly those
//! entries. A child branch's entries stay while it exists (diffing it against a branch
//! outside its subtree reads all of them) and go when it is dropped.

use std::collections::{HashMap, HashSet};
use std::ops::Bound::{Excluded, Included};
use std::sync::atomic::Ordering;

use helios_common::{Result, Timestamp};

use crate::kv::WriteBatch;
use crate::mvcc::keys::{self, GcEntry, Space, META_GC_HORIZON};
use crate::storage::Inner;

/// What one collection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// The horizon collected up to.
    pub horizon: Timestamp,
    /// Queue entries looked at.
    pub examined: u64,
    /// Versions removed (tombstones included).
    pub removed_versions: u64,
    /// Versions kept because a child branch's fork point (or an older version below a
    /// tombstone) still needs them.
    pub kept: u64,
    /// Change-index entries (one per commit and chunk of 64 KiB of keys) removed.
    pub removed_changes: u64,
}

/// Runs one collection (see the module docs).
pub(crate) fn collect(inner: &Inner) -> Result<GcStats> {
    let _seq = inner.sequencer.lock();
    let reg = inner.registry.read();
    let retention = inner.retention_micros.load(Ordering::SeqCst);
    let window = Timestamp(inner.clock.now().0.saturating_sub(retention));
    let horizon = inner.active.with_oldest(|oldest| oldest.map_or(window, |o| o.min(window)));
    let mut stats = GcStats { horizon, ..GcStats::default() };
    let snap = inner.engine.snapshot()?;
    let mut batch = WriteBatch::default();
    let mut removed: HashSet<Vec<u8>> = HashSet::new();
    let mut tombstones = Vec::new();
    let mut caps = HashMap::new();
    let start = [Space::GcQueue as u8];
    let end = GcEntry::queue_end(horizon);
    for row in snap.scan((Included(&start), Excluded(&end)), false)? {
        let (qk, _) = row?;
        let e = GcEntry::decode(&qk)?;
        stats.examined += 1;
        let Some(info) = reg.get(e.branch) else {
            // The branch was dropped with all its keys.
            batch.delete(qk);
            continue;
        };
        if e.version == e.superseded_at {
            tombstones.push((qk, e, info.parent.is_none()));
            continue;
        }
        let caps = caps.entry(e.branch).or_insert_with(|| reg.protected_caps(e.branch));
        if caps.iter().any(|c| e.version <= *c && *c < e.superseded_at) {
            stats.kept += 1;
            continue;
        }
        let vk = keys::version_key(e.branch, &e.key, e.version);
        batch.delete(vk.clone());
        batch.delete(qk);
        removed.insert(vk);
        stats.removed_versions += 1;
    }
    for (qk, e, root) in tombstones {
        if !root {
            batch.delete(qk);
            continue;
        }
        let own = keys::version_key(e.branch, &e.key, e.version);
        let last = keys::version_key(e.branch, &e.key, Timestamp::ZERO);
        let mut older_remains = false;
        for row in snap.scan((Excluded(&own), Included(&last)), false)? {
            if !removed.contains(&row?.0) {
                older_remains = true;
                break;
            }
        }
        if older_remains {
            stats.kept += 1;
            continue;
        }
        batch.delete(own);
        batch.delete(qk);
        stats.removed_versions += 1;
    }
    for root in reg.all().filter(|b| b.parent.is_none()) {
        let floor = reg.protected_caps(root.id).into_iter().fold(horizon, Timestamp::min);
        let range = keys::change_range(root.id, Timestamp::ZERO, floor);
        snap.visit(keys::as_kv_range(&range), false, &mut |k, _| {
            batch.delete(k.to_vec());
            stats.removed_changes += 1;
            Ok(true)
        })?;
    }
    let new_horizon = horizon.0.max(inner.gc_horizon.load(Ordering::SeqCst));
    batch.put(META_GC_HORIZON, new_horizon.to_be_bytes().to_vec());
    inner.engine.write(batch, inner.durable)?;
    inner.gc_horizon.store(new_horizon, Ordering::SeqCst);
    Ok(stats)
}

/// A background thread that runs [`Storage::gc`](crate::Storage::gc) every interval.
/// Dropping it stops the thread (and waits for a collection in progress).
#[derive(Debug)]
pub struct GcWorker {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    last: std::sync::Arc<parking_lot::Mutex<Option<Result<GcStats>>>>,
}

impl GcWorker {
    /// Starts collecting on `storage` every `interval`.
    pub(crate) fn spawn(
        storage: crate::Storage,
        interval: std::time::Duration,
    ) -> Result<GcWorker> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let last = std::sync::Arc::new(parking_lot::Mutex::new(None));
        let seen = last.clone();
        let thread = std::thread::Builder::new()
            .name("helios-gc".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(interval)
                {
                    *seen.lock() = Some(storage.gc());
                }
            })
            .map_err(|e| {
                helios_common::Error::io("could not start the garbage collector thread", &e)
            })?;
        Ok(GcWorker { stop: Some(stop), thread: Some(thread), last })
    }

    /// The outcome of the most recent collection, if one ran.
    pub fn last_result(&self) -> Option<Result<GcStats>> {
        self.last.lock().clone()
    }
}

impl Drop for GcWorker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            // A panicked collector has nothing left to clean up.
            let _ = t.join();
        }
    }
}
