//! [`Storage`]: the handle to one database's storage: transactions, branches, retention.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use helios_common::{BranchId, Error, Result, SqlState, Timestamp, TxnId};
use parking_lot::{Mutex, RwLock};

use crate::branch::{
    BranchInfo, BranchRegistry, DiffEntry, MergeReport, MergeStrategy, MAX_BRANCH_NAME,
};
use crate::kv::{self, Engine, MemoryEngine, PackedBatch, Snapshot, WriteBatch};
use crate::mvcc::active::ActiveSnapshots;
use crate::mvcc::change_feed::{ChangeFeed, ChangeSet};
use crate::mvcc::commit::{
    emit_versions, stage, validate, Claimed, CommitInfo, CommitRequest, GroupCommit, GroupResults,
    Sequencer, Staged,
};
use crate::mvcc::keys::{
    self, read_u64, Space, META_CLOCK, META_FORMAT, META_GC_HORIZON, META_NEXT_BRANCH,
    META_RETENTION,
};
use crate::mvcc::locks::Outcome;
use crate::mvcc::spill::SpillSettings;
use crate::mvcc::{GcStats, Hlc, SystemClock, Transaction, WallClock};
use crate::{StorageError, StorageOptions, TxnOptions};

/// One database's storage. Cheap to clone; clones share everything.
#[derive(Clone, Debug)]
pub struct Storage {
    inner: Arc<Inner>,
}

/// Shared state behind [`Storage`] and every [`Transaction`].
#[derive(Debug)]
pub(crate) struct Inner {
    pub engine: Arc<dyn Engine>,
    pub durable: bool,
    pub clock: Hlc,
    /// The last commit timestamp whose batch is durable (when commits are) and every
    /// commit before it too; new readers read here.
    pub visible: AtomicU64,
    /// The last commit timestamp whose batch is in the engine, durable or not yet
    /// ([`Inner::write_group`] releases a group's locks before its sync). Only a writer
    /// that met such a commit on a row it locks reads here (its own commit comes after
    /// it, in the same or a later sync).
    pub applied: AtomicU64,
    pub registry: RwLock<BranchRegistry>,
    pub active: ActiveSnapshots,
    /// Held while assigning commit timestamps and writing to the engine.
    pub sequencer: Mutex<Sequencer>,
    pub group: GroupCommit,
    pub feed: ChangeFeed,
    pub retention_micros: AtomicU64,
    /// Every version a read at or after this timestamp needs was kept by GC.
    pub gc_horizon: AtomicU64,
    /// How new transactions' write sets spill.
    pub spill: RwLock<Arc<SpillSettings>>,
    /// Write locks of open transactions.
    pub locks: crate::mvcc::locks::LockTable,
}

impl std::fmt::Debug for dyn Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

impl Storage {
    /// A new, empty in-memory database.
    pub fn open_memory() -> Result<Storage> {
        Storage::with_engine(Arc::new(MemoryEngine::new()), StorageOptions::default())
    }

    /// Opens (or creates) the database in directory `dir`.
    pub fn open(dir: &Path, options: StorageOptions) -> Result<Storage> {
        let engine = kv::open_disk(dir, &options)?;
        Storage::with_engine(engine, options)
    }

    /// Opens storage on any engine (tests run the same suites on every engine).
    pub fn with_engine(engine: Arc<dyn Engine>, options: StorageOptions) -> Result<Storage> {
        Storage::with_engine_and_clock(engine, options, Arc::new(SystemClock))
    }

    /// Like [`Storage::with_engine`], with an injected wall clock (tests of retention).
    pub fn with_engine_and_clock(
        engine: Arc<dyn Engine>,
        options: StorageOptions,
        wall: Arc<dyn WallClock>,
    ) -> Result<Storage> {
        let durable = options.durability == crate::Durability::Durable;
        let snap = engine.snapshot()?;
        let read =
            |k: &[u8]| -> Result<Option<u64>> { snap.get(k)?.map(|v| read_u64(&v)).transpose() };
        check_format(&*snap)?;
        let high_water = read(META_CLOCK)?.unwrap_or(0);
        let retention = read(META_RETENTION)?;
        let gc_horizon = read(META_GC_HORIZON)?.unwrap_or(0);
        let mut registry = BranchRegistry::load(&*snap)?;
        let next_txn = last_txn(&*snap)?.map_or(1, |t| t.0 + 1);
        let clock = Hlc::new(wall, Timestamp(high_water));
        let mut batch = WriteBatch::default();
        if registry.get(BranchId::MAIN).is_none() {
            batch.put(META_FORMAT, keys::FORMAT.to_be_bytes().to_vec());
            let main = BranchInfo {
                id: BranchId::MAIN,
                name: "main".into(),
                parent: None,
                fork_ts: Timestamp::ZERO,
                created_at: clock.now(),
            };
            batch.put(BranchInfo::row_key(main.id), main.encode());
            batch.put(META_NEXT_BRANCH, registry.next_id.to_be_bytes().to_vec());
            registry.insert(main);
        }
        let retention = match retention {
            Some(r) => r,
            None => {
                let r = options.retention.as_micros() as u64;
                batch.put(META_RETENTION, r.to_be_bytes().to_vec());
                r
            }
        };
        if !batch.is_empty() {
            engine.write(batch, durable)?;
        }
        drop(snap);
        let visible = clock.last();
        Ok(Storage {
            inner: Arc::new(Inner {
                engine,
                durable,
                clock,
                visible: AtomicU64::new(visible.0),
                applied: AtomicU64::new(visible.0),
                registry: RwLock::new(registry),
                active: ActiveSnapshots::default(),
                sequencer: Mutex::new(Sequencer { next_txn }),
                group: GroupCommit::default(),
                feed: ChangeFeed::default(),
                retention_micros: AtomicU64::new(retention),
                gc_horizon: AtomicU64::new(gc_horizon),
                spill: RwLock::new(Arc::new(SpillSettings {
                    encrypt: options.encryption.is_some(),
                    ..SpillSettings::default()
                })),
                locks: crate::mvcc::locks::LockTable::default(),
            }),
        })
    }

    /// Whether the database is encrypted at rest: temporary files holding its data
    /// (transaction spills, [`crate::TempRun`]s) must then be sealed.
    pub fn is_encrypted(&self) -> bool {
        self.inner.spill.read().encrypt
    }

    /// Starts a transaction.
    pub fn begin(&self, options: TxnOptions) -> Result<Transaction> {
        Transaction::begin(self.inner.clone(), options)
    }

    /// Waits until every commit already applied is durable and visible to transactions
    /// that begin afterwards. Commits release their locks before their sync, so a writer
    /// that lost the race for a key to one of them (40001) calls this before it begins
    /// again: its next snapshot then sees the winner instead of meeting it once more.
    pub fn await_applied(&self) -> Result<()> {
        let _seq = self.inner.sequencer.lock();
        self.inner.settle()
    }

    /// The current hybrid-logical-clock reading.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The engine underneath (tests count its keys).
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.inner.engine
    }

    /// The commit timestamp and branch of transaction `txn`, from the commit log.
    pub fn commit_record(&self, txn: TxnId) -> Result<Option<(Timestamp, BranchId)>> {
        let key = keys::commit_log_key(txn);
        match self.inner.engine.snapshot()?.get(&key)? {
            Some(v) => keys::decode_commit_log(&key, &v).map(|(_, ts, b)| Some((ts, b))),
            None => Ok(None),
        }
    }

    /// Creates branch `name` from `parent` as of `at` (default: now). O(1): nothing is
    /// copied. `at` must be inside the retention window and not in the future.
    pub fn create_branch(
        &self,
        name: &str,
        parent: BranchId,
        at: Option<Timestamp>,
    ) -> Result<BranchInfo> {
        if name.is_empty() || name.len() > MAX_BRANCH_NAME {
            return Err(StorageError::InvalidBranchName(name.to_string()).into());
        }
        let inner = &*self.inner;
        let _seq = inner.sequencer.lock();
        let mut reg = inner.registry.write();
        if reg.by_name(name).is_some() {
            return Err(StorageError::BranchExists(name.to_string()).into());
        }
        reg.require(parent)?;
        if at.is_some() {
            inner.settle()?;
        }
        let visible = inner.visible_ts();
        let fork_ts = match at {
            None => visible,
            Some(t) => {
                inner.check_readable(t)?;
                if t > visible {
                    // No commit is in flight (we hold the sequencer): make every later
                    // commit land after the fork point.
                    inner.clock.observe(t);
                }
                t
            }
        };
        let info = BranchInfo {
            id: BranchId(reg.next_id),
            name: name.to_string(),
            parent: Some(parent),
            fork_ts,
            created_at: inner.clock.now(),
        };
        let next = reg
            .next_id
            .checked_add(1)
            .ok_or_else(|| Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "too many branches"))?;
        let mut batch = WriteBatch::default();
        batch.put(BranchInfo::row_key(info.id), info.encode());
        batch.put(META_NEXT_BRANCH, next.to_be_bytes().to_vec());
        batch.put(META_CLOCK, inner.clock.last().0.to_be_bytes().to_vec());
        inner.engine.write(batch, inner.durable)?;
        reg.next_id = next;
        reg.insert(info.clone());
        Ok(info)
    }

    /// The branch named `name`.
    pub fn branch(&self, name: &str) -> Result<Option<BranchInfo>> {
        Ok(self.inner.registry.read().by_name(name).cloned())
    }

    /// The branch with id `id`.
    pub fn branch_by_id(&self, id: BranchId) -> Result<Option<BranchInfo>> {
        Ok(self.inner.registry.read().get(id).cloned())
    }

    /// Every branch, by id.
    pub fn branches(&self) -> Result<Vec<BranchInfo>> {
        Ok(self.inner.registry.read().all().cloned().collect())
    }

    /// Drops branch `name` and frees its keys. Refused for `main` and for branches that
    /// other branches fork from. Transactions still open on it fail at commit.
    pub fn drop_branch(&self, name: &str) -> Result<()> {
        let inner = &*self.inner;
        let _seq = inner.sequencer.lock();
        let mut reg = inner.registry.write();
        let info = reg
            .by_name(name)
            .cloned()
            .ok_or_else(|| StorageError::BranchNotFound(name.to_string()))?;
        if info.id == BranchId::MAIN {
            return Err(StorageError::DropMain.into());
        }
        let children: Vec<String> = reg.children(info.id).map(|b| b.name.clone()).collect();
        if !children.is_empty() {
            return Err(StorageError::BranchHasChildren { name: name.to_string(), children }.into());
        }
        let snap = inner.engine.snapshot()?;
        let mut batch = WriteBatch::default();
        batch.delete(BranchInfo::row_key(info.id));
        let (lo, hi) = (keys::branch_prefix(info.id), keys::branch_end(info.id));
        use std::ops::Bound::{Excluded, Included};
        for row in snap.scan((Included(&lo), Excluded(&hi)), false)? {
            batch.delete(row?.0);
        }
        let (lo, hi) = (keys::changes_prefix(info.id), keys::changes_end(info.id));
        for row in snap.scan((Included(&lo), Excluded(&hi)), false)? {
            batch.delete(row?.0);
        }
        // Its GC-queue entries are dropped by the collector (branch ids are never reused).
        let mut after = reg.clone();
        for k in after.remove(info.id) {
            batch.delete(k);
        }
        inner.engine.write(batch, inner.durable)?;
        *reg = after;
        Ok(())
    }

    /// The keys whose latest values differ between branches `a` and `b`: `old` is the value
    /// on `a`, `new` the value on `b`.
    pub fn diff(&self, a: BranchId, b: BranchId) -> Result<Vec<DiffEntry>> {
        crate::branch::diff(&self.inner, a, b)
    }

    /// Three-way merge of `src` into `dst` with their fork point as base (see
    /// [`crate::branch`]). Under [`MergeStrategy::Fail`] a conflict changes nothing and
    /// returns an error (`HB001`) whose detail lists the conflicting keys.
    pub fn merge(
        &self,
        src: BranchId,
        dst: BranchId,
        strategy: MergeStrategy,
    ) -> Result<MergeReport> {
        crate::branch::merge(&self.inner, src, dst, strategy, false)
    }

    /// What [`Storage::merge`] would do, without changing anything; conflicts are reported
    /// in the result rather than as an error.
    pub fn merge_preview(
        &self,
        src: BranchId,
        dst: BranchId,
        strategy: MergeStrategy,
    ) -> Result<MergeReport> {
        crate::branch::merge(&self.inner, src, dst, strategy, true)
    }

    /// Every retained version of the keys in `range` visible from `branch` with
    /// `from <= ts <= to`, by key then timestamp (see [`crate::mvcc::versions`]).
    pub fn versions(
        &self,
        branch: BranchId,
        range: &(std::ops::Bound<Vec<u8>>, std::ops::Bound<Vec<u8>>),
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<crate::VersionRecord>> {
        crate::mvcc::versions::versions(&self.inner, branch, range, from, to)
    }

    /// Commit-log entries with `from <= ts <= to`, oldest first.
    pub fn commits(&self, from: Timestamp, to: Timestamp) -> Result<Vec<crate::CommitRecord>> {
        crate::mvcc::versions::commits(&*self.inner.engine.snapshot()?, from, to)
    }

    /// How many distinct keys accepted by `filter` branch `branch` wrote itself.
    pub fn count_own_keys(&self, branch: BranchId, filter: &dyn Fn(&[u8]) -> bool) -> Result<u64> {
        crate::mvcc::versions::count_own_keys(&self.inner, branch, filter)
    }

    /// The timestamp new transactions read at: the last commit's.
    pub fn visible_ts(&self) -> Timestamp {
        self.inner.visible_ts()
    }

    /// Sets the size (estimated bytes of buffered writes) above which a transaction's
    /// write set spills to a temporary file; transactions begun later use it. The default
    /// is 256 MiB. Spill files are anonymous (unlinked at creation) and, when the database
    /// is encrypted, sealed with a per-file random key.
    pub fn set_spill_threshold(&self, bytes: usize) {
        let mut spill = self.inner.spill.write();
        *spill = Arc::new(SpillSettings { threshold: bytes, ..(**spill).clone() });
    }

    /// The retention period of superseded versions.
    pub fn retention(&self) -> Duration {
        Duration::from_micros(self.inner.retention_micros.load(Ordering::SeqCst))
    }

    /// Changes the retention period; persisted (it outlives the options used to open).
    pub fn set_retention(&self, retention: Duration) -> Result<()> {
        let inner = &*self.inner;
        let _seq = inner.sequencer.lock();
        let micros = retention.as_micros().min(u64::MAX as u128) as u64;
        let mut batch = WriteBatch::default();
        batch.put(META_RETENTION, micros.to_be_bytes().to_vec());
        inner.engine.write(batch, inner.durable)?;
        inner.retention_micros.store(micros, Ordering::SeqCst);
        Ok(())
    }

    /// The oldest timestamp that can still be read (time travel, new branches).
    pub fn horizon(&self) -> Timestamp {
        self.inner.read_horizon()
    }

    /// Subscribes to the change feed: every later commit's [`ChangeSet`], in commit order.
    /// Drain the receiver; dropping it unsubscribes.
    pub fn subscribe(&self) -> std::sync::mpsc::Receiver<Arc<ChangeSet>> {
        self.inner.feed.subscribe()
    }

    /// Writes every commit into the data file (PostgreSQL's `CHECKPOINT`): waits for a
    /// background flush of a large commit, then checkpoints the journal, so that the
    /// next open has nothing to replay. Commits are durable without it.
    pub fn checkpoint(&self) -> Result<()> {
        self.inner.engine.checkpoint()
    }

    /// Removes superseded versions that no reader can need any more.
    pub fn gc(&self) -> Result<GcStats> {
        crate::mvcc::gc::collect(&self.inner)
    }

    /// Runs [`Storage::gc`] in a background thread every `interval` until the returned
    /// worker is dropped.
    pub fn spawn_gc(&self, interval: Duration) -> Result<crate::mvcc::gc::GcWorker> {
        crate::mvcc::gc::GcWorker::spawn(self.clone(), interval)
    }
}

/// Refuses (`XX001`) a database written in another storage format: a newer one, or one
/// from before format 3, which has a branch registry but no format key.
fn check_format(snap: &dyn Snapshot) -> Result<()> {
    let hint = "export the data with the version that wrote it, and import it here";
    match snap.get(META_FORMAT)? {
        Some(v) if keys::read_u32(&v)? == keys::FORMAT => Ok(()),
        Some(v) => Err(Error::corrupted(format!(
            "could not open database: it has storage format {}, but this version reads only \
             format {}",
            keys::read_u32(&v)?,
            keys::FORMAT
        ))
        .with_hint(hint)),
        None if snap.get(META_NEXT_BRANCH)?.is_some() => Err(Error::corrupted(format!(
            "could not open database: it has an older storage format (2, with the longer \
             keys used until 2026-11-26), but this version reads only format {}",
            keys::FORMAT
        ))
        .with_hint(hint)),
        None => Ok(()),
    }
}

/// Releases the locks of every request of a group as its result says.
fn release_locks<T>(
    locks: &crate::mvcc::locks::LockTable,
    group: &[(u64, CommitRequest)],
    results: &[(u64, Result<T>)],
) {
    for ((_, req), (_, r)) in group.iter().zip(results) {
        let outcome = if r.is_ok() { Outcome::Committed } else { Outcome::Aborted };
        locks.release(&mut req.locks.lock(), outcome);
    }
}

/// The id of the last commit-log entry.
fn last_txn(snap: &dyn Snapshot) -> Result<Option<TxnId>> {
    use std::ops::Bound::{Excluded, Included};
    let (lo, hi) = ([Space::CommitLog as u8], [Space::CommitLog as u8 + 1]);
    match snap.scan((Included(&lo), Excluded(&hi)), true)?.next() {
        Some(row) => {
            let (k, v) = row?;
            Ok(Some(keys::decode_commit_log(&k, &v)?.0))
        }
        None => Ok(None),
    }
}

impl Inner {
    /// The timestamp new readers read at.
    pub(crate) fn visible_ts(&self) -> Timestamp {
        Timestamp(self.visible.load(Ordering::SeqCst))
    }

    /// The last commit timestamp whose batch is in the engine, durable or not.
    pub(crate) fn applied_ts(&self) -> Timestamp {
        Timestamp(self.applied.load(Ordering::SeqCst))
    }

    /// Makes commits up to `ts` visible to new readers: call once their batches are
    /// durable (or, with relaxed durability, written).
    pub(crate) fn publish(&self, ts: Timestamp) {
        self.applied.fetch_max(ts.0, Ordering::SeqCst);
        self.visible.fetch_max(ts.0, Ordering::SeqCst);
    }

    /// Makes every commit in the engine durable and visible; call with the sequencer
    /// held (no group is being applied), before work that must see the latest state.
    pub(crate) fn settle(&self) -> Result<()> {
        let applied = self.applied_ts();
        if applied > self.visible_ts() {
            self.engine.sync_to(u64::MAX)?;
            self.publish(applied);
        }
        Ok(())
    }

    /// Finishes a commit [`Inner::write_group`] applied: waits for its sync when it was
    /// deferred, then makes it visible.
    pub(crate) fn finish_commit(&self, staged: Staged) -> Result<CommitInfo> {
        if let Some(token) = staged.token {
            self.engine.sync_to(token)?;
            self.publish(staged.info.commit_ts);
        }
        Ok(staged.info)
    }

    /// The oldest readable timestamp: the retention window's start, or the horizon GC
    /// has already collected up to, whichever is later.
    pub(crate) fn read_horizon(&self) -> Timestamp {
        let retention = self.retention_micros.load(Ordering::SeqCst);
        let window = self.clock.now().0.saturating_sub(retention);
        Timestamp(window.max(self.gc_horizon.load(Ordering::SeqCst)))
    }

    /// Fails with `72000` when `ts` is before the horizon, `22023` when in the future.
    pub(crate) fn check_readable(&self, ts: Timestamp) -> Result<()> {
        let horizon = self.read_horizon();
        if ts < horizon {
            return Err(StorageError::SnapshotTooOld { requested: ts, horizon }.into());
        }
        if ts > self.clock.now() {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("timestamp {ts} is in the future"),
            ));
        }
        Ok(())
    }

    /// Commits one large request (its write set spilled, or holds several MiB), alone and
    /// streamed to the engine: its versions never all sit in memory a second time, and
    /// they are built on a second thread while this one writes them.
    pub(crate) fn commit_large(&self, req: CommitRequest) -> Result<CommitInfo> {
        let mut seq = self.sequencer.lock();
        let snap = self.engine.snapshot()?;
        let reg = self.registry.read();
        let previous = validate(&*snap, &reg, &Claimed::new(), &req)?;
        let commit_ts = self.clock.tick();
        let txn_id = TxnId(seq.next_txn);
        seq.next_txn += 1;
        let info = CommitInfo { txn_id, commit_ts };
        let set = if self.feed.active() {
            Some(ChangeFeed::change_set(&*snap, &reg, &req, info)?)
        } else {
            None
        };
        let clock = self.clock.last().0.to_be_bytes();
        let in_memory = !req.writes.spilled();
        let mut req = Some(req);
        let mut fill = |sink: &mut kv::SinkFn<'_>| -> Result<()> {
            let req =
                req.take().ok_or_else(|| Error::internal("a commit's writes emitted twice"))?;
            let mut failed = None;
            emit_versions(&req, &previous, commit_ts, txn_id, &mut |k, v, head| {
                if failed.is_some() {
                    return;
                }
                let written = match v {
                    Some(v) => sink(k, Some(&[head, v])),
                    None => sink(k, Some(&[head])),
                };
                if let Err(e) = written {
                    failed = Some(e);
                }
            })?;
            // The write set is freed here, where the versions were built (on the disk
            // engine's second thread, while the last runs go into redb): its memory is
            // then free for the commit's page writes instead of a heap that only grows.
            drop(req);
            if let Some(e) = failed {
                return Err(e);
            }
            sink(META_CLOCK, Some(&[&clock]))
        };
        self.engine.write_with(&mut fill, self.durable, in_memory)?;
        self.publish(commit_ts);
        self.feed.publish(set.into_iter().collect());
        Ok(info)
    }

    /// Commits one group of requests with one engine write (see [`crate::mvcc::commit`]).
    pub(crate) fn write_group(&self, group: Vec<(u64, CommitRequest)>) -> GroupResults {
        let mut seq = self.sequencer.lock();
        let snap = match self.engine.snapshot() {
            Ok(s) => s,
            Err(e) => return group.into_iter().map(|(t, _)| (t, Err(e.clone()))).collect(),
        };
        let reg = self.registry.read();
        let mut claimed = Claimed::new();
        let mut batch = PackedBatch::default();
        let mut results = Vec::with_capacity(group.len());
        let mut last = None;
        let mut sets = Vec::new();
        let n = group.len();
        for (i, (ticket, req)) in group.iter().enumerate() {
            let r = stage(
                &*snap,
                &reg,
                &mut claimed,
                i + 1 < n,
                req,
                || {
                    let ts = self.clock.tick();
                    let id = TxnId(seq.next_txn);
                    seq.next_txn += 1;
                    (ts, id)
                },
                &mut batch,
            );
            if let Ok(info) = &r {
                last = Some(info.commit_ts);
                if self.feed.active() {
                    match ChangeFeed::change_set(&*snap, &reg, req, *info) {
                        Ok(set) => sets.push(set),
                        Err(e) => {
                            // Nothing is written: the whole group fails rather than
                            // committing changes subscribers never hear of.
                            return group.iter().map(|(t, _)| (*t, Err(e.clone()))).collect();
                        }
                    }
                }
            }
            results.push((*ticket, r));
        }
        let Some(last) = last else {
            release_locks(&self.locks, &group, &results);
            return results
                .into_iter()
                .map(|(t, r)| (t, r.map(|info| Staged { info, token: None })))
                .collect();
        };
        batch.put(META_CLOCK, &self.clock.last().0.to_be_bytes());
        // Durable commits without change-feed subscribers are synced after their locks
        // are released (each committer waits for the sync in `finish_commit`): the next
        // writer of a hot row then works while the sync runs, and commits that apply
        // meanwhile share the next sync. Subscribers hear of a commit only once it is
        // durable, so with them the group is synced here, before anything is released.
        let deferred = self.durable && sets.is_empty() && !self.feed.active();
        let written = if deferred {
            self.engine.write_packed_deferred(batch)
        } else {
            self.engine.write_packed(batch, self.durable).map(|()| None)
        };
        let results: GroupResults = match written {
            Ok(token) => {
                self.applied.fetch_max(last.0, Ordering::SeqCst);
                if token.is_none() {
                    self.publish(last);
                    self.feed.publish(sets);
                }
                results
                    .into_iter()
                    .map(|(t, r)| (t, r.map(|info| Staged { info, token })))
                    .collect()
            }
            Err(e) => results.into_iter().map(|(t, r)| (t, r.and(Err(e.clone())))).collect(),
        };
        // Waiters that wake see the commits in the engine (at `applied`).
        release_locks(&self.locks, &group, &results);
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvcc::write_set::WriteSet;

    fn req(key: &[u8], since: Timestamp) -> CommitRequest {
        let mut writes = WriteSet::default();
        writes.write(key, Some(b"v"), since).expect("write");
        CommitRequest { branch: BranchId::MAIN, writes, locks: Default::default() }
    }

    #[test]
    fn one_group_with_two_writers_of_a_key_commits_the_first_only() {
        let s = Storage::open_memory().expect("open");
        let since = s.inner.visible_ts();
        let results = s.inner.write_group(vec![
            (7, req(b"k", since)),
            (8, req(b"k", since)),
            (9, req(b"j", since)),
        ]);
        assert!(results[0].1.is_ok());
        let err = results[1].1.as_ref().expect_err("second writer of k in the same group");
        assert_eq!(err.sqlstate(), SqlState::SERIALIZATION_FAILURE);
        let (a, c) =
            (results[0].1.as_ref().expect("ok").info, results[2].1.as_ref().expect("ok").info);
        assert!(c.commit_ts > a.commit_ts && c.txn_id.0 == a.txn_id.0 + 1);
        assert_eq!(s.inner.visible_ts(), c.commit_ts);
    }
}
