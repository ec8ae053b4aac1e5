//! [`Transaction`]: snapshot reads, buffered writes, savepoints, commit.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use helios_common::{BranchId, Error, Result, SqlState, Timestamp, TxnId};

use crate::kv::Snapshot;
use crate::mvcc::absent::KnownAbsent;
use crate::mvcc::commit::{newest_ts, CommitInfo, CommitRequest};
use crate::mvcc::locks::{
    key_hash, key_lock_hash, Acquired, HeldLocks, LockWait, Outcome, RowLockStrength, RowLockWait,
};
use crate::mvcc::visibility::{
    scan_chain, scan_link, visit_link, with_visible, ChainLink, EntryIter,
};
use crate::mvcc::write_set::WriteSet;
use crate::storage::Inner;
use crate::{Isolation, StorageError, TxnOptions};

/// Write sets of at least this many bytes (estimated) commit on their own, streamed to
/// the engine with their versions built on a second thread, rather than packed into a
/// shared group batch.
const LARGE_COMMIT: usize = 8 * 1024 * 1024;

/// A savepoint token: [`Transaction::rollback_to`] undoes every write made after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Savepoint {
    mark: usize,
}

/// A transaction on one branch. Dropping it without [`commit`](Transaction::commit)
/// rolls it back.
///
/// Reads see the snapshot at [`read_ts`](Transaction::read_ts) plus the transaction's own
/// writes. Under READ COMMITTED, [`new_statement`](Transaction::new_statement) moves the
/// snapshot to the latest commit; under REPEATABLE READ and for time travel it never moves.
pub struct Transaction {
    inner: Arc<Inner>,
    branch: BranchId,
    isolation: Isolation,
    read_only: bool,
    time_travel: bool,
    read_ts: Timestamp,
    chain: Vec<ChainLink>,
    snapshot: Box<dyn Snapshot>,
    /// Key ranges `snapshot` holds no version in, learned by point reads.
    absent: parking_lot::Mutex<KnownAbsent>,
    writes: WriteSet,
    /// An error from `new_statement`, returned by the next read or commit.
    deferred: Option<Error>,
    /// Write locks held until the transaction ends (behind a mutex so that row locks can
    /// be taken while a query reads through a shared borrow: `SELECT ... FOR UPDATE`).
    held: Arc<parking_lot::Mutex<HeldLocks>>,
    /// How lock waits end early.
    lock_wait: LockWait,
    /// A write met a newer committed version under READ COMMITTED: the statement should
    /// restart on a fresh snapshot.
    restart: AtomicBool,
    /// A write met a version newer than the snapshot: the next statement's snapshot reads
    /// at the last commit in the engine, durable or not yet (its locks may have been
    /// released before its sync); see [`Transaction::commit`] for why that is safe.
    fresh: AtomicBool,
    /// The newest commit timestamp a [`visit_latest`](Transaction::visit_latest) read at:
    /// a commit that writes nothing waits for the sync of the commits it saw.
    latest_read: AtomicU64,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("branch", &self.branch)
            .field("isolation", &self.isolation)
            .field("read_only", &self.read_only)
            .field("read_ts", &self.read_ts)
            .finish_non_exhaustive()
    }
}

impl Transaction {
    /// Starts a transaction (see [`crate::Storage::begin`]).
    pub(crate) fn begin(inner: Arc<Inner>, options: TxnOptions) -> Result<Transaction> {
        let as_of = options.as_of.filter(|t| *t != Timestamp::MAX);
        let read_ts = match as_of {
            None => inner.active.pin_with(|| Ok::<_, Error>(inner.visible_ts()))?,
            Some(t) => inner.active.pin_with(|| inner.check_readable(t).map(|()| t))?,
        };
        let started = Self::open_snapshot(&inner, options.branch, read_ts, as_of.is_some());
        let (snapshot, chain) = match started {
            Ok(s) => s,
            Err(e) => {
                inner.active.unpin(read_ts);
                return Err(e);
            }
        };
        let writes = WriteSet::with_spill(inner.spill.read().clone());
        Ok(Transaction {
            inner,
            branch: options.branch,
            isolation: options.isolation,
            read_only: options.read_only || options.as_of.is_some(),
            time_travel: options.as_of.is_some(),
            read_ts,
            chain,
            snapshot,
            absent: parking_lot::Mutex::default(),
            writes,
            deferred: None,
            held: Arc::default(),
            lock_wait: LockWait::default(),
            restart: AtomicBool::new(false),
            fresh: AtomicBool::new(false),
            latest_read: AtomicU64::new(0),
        })
    }

    fn open_snapshot(
        inner: &Inner,
        branch: BranchId,
        read_ts: Timestamp,
        past: bool,
    ) -> Result<(Box<dyn Snapshot>, Vec<ChainLink>)> {
        let chain = inner.registry.read().chain(branch, read_ts)?;
        let snapshot = if past && read_ts > inner.visible_ts() {
            // Commits may be in flight with timestamps at or below `read_ts`: wait for
            // them (they hold the sequencer) and make every later one land after it.
            let _seq = inner.sequencer.lock();
            inner.settle()?;
            inner.clock.observe(read_ts);
            inner.engine.snapshot()?
        } else {
            inner.engine.snapshot()?
        };
        Ok((snapshot, chain))
    }

    fn check_deferred(&self) -> Result<()> {
        match &self.deferred {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The value of `key`, own writes included.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_deferred()?;
        if let Some(own) = self.writes.get(key)? {
            return Ok(own);
        }
        self.absent.lock().get_visible(&*self.snapshot, &self.chain, key)
    }

    /// Calls `f` with the value of `key` (own writes included), borrowed where it can be:
    /// [`get`](Transaction::get) without copying the value out of the engine.
    pub fn get_with<R>(&self, key: &[u8], f: impl FnOnce(Option<&[u8]>) -> Result<R>) -> Result<R> {
        self.check_deferred()?;
        if let Some(own) = self.writes.get(key)? {
            return f(own.as_deref());
        }
        with_visible(&*self.snapshot, &self.chain, key, f)
    }

    /// Calls `f` with each visible (key, value) pair inside `range`, ascending (descending
    /// when `reverse`), own writes included, until it returns false. On a branch without
    /// ancestors and without own writes in the range, pairs are lent straight from the
    /// engine: a scan allocates nothing per pair. `f` may read through this transaction.
    pub fn visit(
        &self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        reverse: bool,
        f: &mut crate::kv::VisitFn<'_>,
    ) -> Result<()> {
        self.check_deferred()?;
        self.visit_through(&*self.snapshot, &self.chain, range, reverse, f)
    }

    /// [`visit`](Transaction::visit) through `snap` and `chain` (the transaction's own or
    /// [`visit_latest`](Transaction::visit_latest)'s), own writes on top.
    fn visit_through(
        &self,
        snap: &dyn Snapshot,
        chain: &[ChainLink],
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        reverse: bool,
        f: &mut crate::kv::VisitFn<'_>,
    ) -> Result<()> {
        if crate::kv::range_is_empty(&crate::mvcc::keys::as_kv_range(range)) {
            return Ok(());
        }
        if !reverse && chain.len() == 1 && !self.writes.may_have(range) {
            return visit_link(snap, chain[0], range, true, f);
        }
        let own: Option<EntryIter<'_>> = if self.writes.is_empty() {
            None
        } else {
            let own = self.writes.scan(range, reverse)?;
            Some(Box::new(own.map(|r| {
                r.map(|e| (e.key.into_owned(), e.value.map(std::borrow::Cow::into_owned)))
            })))
        };
        for row in scan_chain(snap, chain, range, reverse, own)? {
            let (k, v) = row?;
            if !f(&k, &v)? {
                break;
            }
        }
        Ok(())
    }

    /// Calls `f` with the value of each visible key inside `range`, ascending, own writes
    /// included, until it returns false: [`Transaction::visit`] for a caller that does
    /// not read the keys, which are then not decoded on the fast path.
    pub fn visit_values(
        &self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        f: &mut dyn FnMut(&[u8]) -> Result<bool>,
    ) -> Result<()> {
        self.check_deferred()?;
        if crate::kv::range_is_empty(&crate::mvcc::keys::as_kv_range(range)) {
            return Ok(());
        }
        if self.chain.len() == 1 && !self.writes.may_have(range) {
            return visit_link(&*self.snapshot, self.chain[0], range, false, &mut |_, v| f(v));
        }
        self.visit(range, false, &mut |_, v| f(v))
    }

    /// Up to `limit` visible (key, value) pairs inside `range`, ascending (descending when
    /// `reverse`), own writes included. Callers page by narrowing the range to just after
    /// (before) the last key returned.
    pub fn scan(
        &self,
        range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.check_deferred()?;
        if limit == 0 || crate::kv::range_is_empty(&crate::mvcc::keys::as_kv_range(&range)) {
            return Ok(Vec::new());
        }
        if !reverse && self.chain.len() == 1 && !self.writes.may_have(&range) {
            return scan_link(&*self.snapshot, self.chain[0], &range, limit);
        }
        let own: Option<EntryIter<'_>> = if self.writes.is_empty() {
            None
        } else {
            let own = self.writes.scan(&range, reverse)?;
            Some(Box::new(own.map(|r| {
                r.map(|e| (e.key.into_owned(), e.value.map(std::borrow::Cow::into_owned)))
            })))
        };
        let mut out = Vec::new();
        for row in scan_chain(&*self.snapshot, &self.chain, &range, reverse, own)?.take(limit) {
            out.push(row?);
        }
        Ok(out)
    }

    /// Calls `f` with each (key, value) pair inside `range`, ascending, as of the last
    /// commit in the engine rather than the snapshot, own writes included, until it
    /// returns false.
    ///
    /// A foreign-key check of a removed referenced key reads this way, as PostgreSQL's
    /// does with a fresh snapshot: a referencing row that another transaction committed
    /// after the snapshot, before this one took the referenced row's key lock, must be
    /// seen. The locks order such commits before the caller, and a durable commit
    /// releases its locks before its sync, so this reads commits that may not be durable
    /// yet, like a statement restarted after a conflict (see
    /// [`commit`](Transaction::commit)): a later commit of this transaction that writes
    /// nothing waits for their sync. A time-travel transaction reads its snapshot.
    pub fn visit_latest(
        &self,
        range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
        f: &mut crate::kv::VisitFn<'_>,
    ) -> Result<()> {
        self.check_deferred()?;
        if self.time_travel {
            return self.visit(range, false, f);
        }
        let inner = &self.inner;
        let ts = inner.active.pin_with(|| Ok::<_, Error>(inner.applied_ts()))?;
        let visited =
            Self::open_snapshot(inner, self.branch, ts, false).and_then(|(snap, chain)| {
                self.latest_read.fetch_max(ts.0, Ordering::Relaxed);
                self.visit_through(&*snap, &chain, range, false, f)
            });
        inner.active.unpin(ts);
        visited
    }

    fn check_writable(&self, what: &'static str) -> Result<()> {
        if self.read_only {
            return Err(StorageError::ReadOnly { what }.into());
        }
        Ok(())
    }

    /// Sets `key` to `value` (buffered until commit). Locks `key` first, see
    /// [`lock`](Transaction::lock).
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.check_writable("put")?;
        self.lock(key)?;
        self.writes.write(key, Some(value), self.read_ts)
    }

    /// Deletes `key` (buffered until commit; a tombstone version at commit). Locks `key`
    /// first, see [`lock`](Transaction::lock).
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.check_writable("delete")?;
        self.lock(key)?;
        self.writes.write(key, None, self.read_ts)
    }

    /// Locks `key` until the transaction ends, waiting while another open transaction
    /// holds it (`40P01` on deadlock, `55P03` after the [`LockWait`] timeout, `57014` when
    /// cancelled). Fails with `40001` when the key has a version committed after this
    /// transaction's snapshot; under READ COMMITTED that failure also marks the statement
    /// for a restart ([`take_statement_restart`](Transaction::take_statement_restart)).
    pub fn lock(&mut self, key: &[u8]) -> Result<()> {
        self.check_writable("lock")?;
        let hash = key_hash(self.branch, key);
        let got = self.inner.locks.acquire(&mut self.held.lock(), hash, &self.lock_wait)?;
        self.check_locked(key, got).map(|_| ())
    }

    /// Takes the key lock of the row stored under `key` (see [`RowLockStrength`]), as a
    /// DELETE of the row or an UPDATE that changes its key columns does besides the row
    /// lock its write takes; waits and fails like [`lock`](Transaction::lock): only a
    /// committed change of the row itself is a conflict. A holder that only locked it
    /// (`FOR KEY SHARE`, e.g. the foreign-key check of a new referencing row) is not; the
    /// caller's check of referencing rows sees what such a holder committed by reading
    /// with [`visit_latest`](Transaction::visit_latest).
    pub fn lock_key(&mut self, key: &[u8]) -> Result<()> {
        self.check_writable("lock")?;
        let hash = key_lock_hash(key_hash(self.branch, key));
        let got = self.inner.locks.acquire(&mut self.held.lock(), hash, &self.lock_wait)?;
        self.check_locked(key, got).map(|_| ())
    }

    /// Locks the row stored under `key` with `strength` from a shared borrow, as `SELECT
    /// ... FOR UPDATE` does while its query streams: like [`lock`](Transaction::lock),
    /// except that with [`RowLockWait::NoWait`] a lock held by another transaction fails
    /// at once with `55P03`, and with [`RowLockWait::Skip`] it returns `Ok(false)` (SKIP
    /// LOCKED).
    pub fn lock_row(
        &self,
        key: &[u8],
        strength: RowLockStrength,
        wait: RowLockWait,
    ) -> Result<bool> {
        self.check_writable("lock")?;
        let row_hash = key_hash(self.branch, key);
        let hashes = [
            strength.row_lock().map(|mode| (row_hash, mode)),
            strength.key_lock().map(|mode| (key_lock_hash(row_hash), mode)),
        ];
        let now = LockWait { timeout: Some(std::time::Duration::ZERO), ..self.lock_wait.clone() };
        let mut got = Acquired::Held;
        for (hash, mode) in hashes.into_iter().flatten() {
            let mut held = self.held.lock();
            let locks = &self.inner.locks;
            let this = match wait {
                RowLockWait::Wait => locks.acquire_as(&mut held, hash, mode, &self.lock_wait),
                RowLockWait::NoWait | RowLockWait::Skip => {
                    match locks.acquire_as(&mut held, hash, mode, &now) {
                        Err(e)
                            if wait == RowLockWait::Skip
                                && e.sqlstate() == SqlState::LOCK_NOT_AVAILABLE =>
                        {
                            return Ok(false)
                        }
                        other => other,
                    }
                }
            }?;
            if this != Acquired::Held {
                got = this;
            }
        }
        self.check_locked(key, got)?;
        Ok(true)
    }

    /// After taking the lock of `key`: fails when a version of it was committed after the
    /// snapshot (see [`lock`](Transaction::lock)).
    fn check_locked(&self, key: &[u8], got: Acquired) -> Result<bool> {
        if got == Acquired::Held || self.inner.applied_ts() <= self.read_ts {
            // Nothing committed since the snapshot, or the key was ours before: no
            // version can be newer than the snapshot.
            return Ok(true);
        }
        let snap = self.inner.engine.snapshot()?;
        let newest = newest_ts(&*snap, self.branch, key, &mut Vec::new())?;
        if newest.is_some_and(|t| t > self.read_ts) {
            return Err(self.conflict(key));
        }
        Ok(true)
    }

    /// The error of a write or lock of `key` that met a change committed after the
    /// snapshot: `40001`, and in READ COMMITTED a request to restart the statement on a
    /// snapshot that sees the change.
    fn conflict(&self, key: &[u8]) -> Error {
        let restart = self.isolation == Isolation::ReadCommitted && !self.time_travel;
        self.restart.store(restart, Ordering::Relaxed);
        self.fresh.store(restart, Ordering::Relaxed);
        StorageError::SerializationFailure { key: crate::error::show_key(key) }.into()
    }

    /// Whether the last failed write asked for its statement to be restarted (READ
    /// COMMITTED met a newer committed version); clears the request. The caller rolls the
    /// statement back, calls [`try_new_statement`](Transaction::try_new_statement) and runs
    /// it again; the locks it took stay held.
    pub fn take_statement_restart(&mut self) -> bool {
        std::mem::take(self.restart.get_mut())
    }

    /// Sets how later lock waits end early (timeout, cancellation flag).
    pub fn set_lock_wait(&mut self, wait: LockWait) {
        let same_cancel = match (&self.lock_wait.cancel, &wait.cancel) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        // Every statement sets it, nearly always to what it was: keep the old one then.
        if !same_cancel || self.lock_wait.timeout != wait.timeout {
            self.lock_wait = wait;
        }
    }

    /// Marks the current write set.
    pub fn savepoint(&mut self) -> Savepoint {
        Savepoint { mark: self.writes.mark() }
    }

    /// Forgets `sp`, keeping the writes made after it (a statement that succeeded no longer
    /// needs its mark). Other savepoints stay usable.
    pub fn release_savepoint(&mut self, sp: Savepoint) {
        self.writes.release(sp.mark);
    }

    /// Undoes every write made after `sp`; `sp` stays usable. Savepoints taken after `sp`
    /// are released.
    pub fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        if self.writes.rollback_to(sp.mark) {
            Ok(())
        } else {
            Err(StorageError::InvalidSavepoint.into())
        }
    }

    /// Starts a new statement: under READ COMMITTED the snapshot moves to the latest
    /// commit. An error taking the snapshot is returned by the next read or commit.
    pub fn new_statement(&mut self) {
        *self.restart.get_mut() = false;
        if let Err(e) = self.try_new_statement() {
            self.deferred = Some(e);
        }
    }

    /// [`new_statement`](Transaction::new_statement), returning its error.
    pub fn try_new_statement(&mut self) -> Result<()> {
        if self.isolation != Isolation::ReadCommitted || self.time_travel {
            return Ok(());
        }
        // After a conflict the statement must see the version it met, which may not be
        // durable yet; otherwise the latest durable commit, but never a snapshot older
        // than the current one.
        let fresh = std::mem::take(self.fresh.get_mut());
        let target = |inner: &Inner| {
            if fresh {
                inner.applied_ts()
            } else {
                inner.visible_ts().max(self.read_ts)
            }
        };
        // Nothing committed since the current snapshot: it already is the latest one
        // (a statement-per-row load would otherwise reopen it for every row).
        if self.deferred.is_none() && target(&self.inner) == self.read_ts {
            return Ok(());
        }
        let inner = self.inner.clone();
        let read_ts = inner.active.pin_with(|| Ok::<_, Error>(target(&inner)))?;
        match Self::open_snapshot(&inner, self.branch, read_ts, false) {
            Ok((snapshot, chain)) => {
                inner.active.unpin(self.read_ts);
                self.read_ts = read_ts;
                self.snapshot = snapshot;
                self.chain = chain;
                self.absent.get_mut().clear();
                self.deferred = None;
                Ok(())
            }
            Err(e) => {
                inner.active.unpin(read_ts);
                Err(e)
            }
        }
    }

    /// Commits: validates write-write conflicts (first committer wins, `40001`), then
    /// writes every version at one new commit timestamp, durably when so configured.
    ///
    /// A durable commit releases its locks once its versions are in the engine, before
    /// the sync that makes them durable, and returns only after that sync. A writer that
    /// waited for one of those locks (or met such a version) reads the not yet durable
    /// versions ([`Transaction::try_new_statement`] after the conflict); that is safe
    /// because its own commit comes later, so it is acknowledged only after the same or a
    /// later sync, and a transaction that read them but writes nothing waits for that sync
    /// before its commit returns. Other readers see a commit only once it is durable.
    pub fn commit(mut self) -> Result<CommitInfo> {
        self.check_deferred()?;
        if self.writes.is_empty() {
            let latest_read = Timestamp(*self.latest_read.get_mut());
            if self.read_ts.max(latest_read) > self.inner.visible_ts() {
                // It read commits that may not be durable yet.
                self.inner.engine.sync_to(u64::MAX)?;
            }
            return Ok(CommitInfo { txn_id: TxnId(0), commit_ts: self.read_ts });
        }
        let writes = std::mem::take(&mut self.writes);
        let req = CommitRequest { branch: self.branch, writes, locks: self.held.clone() };
        let inner = self.inner.clone();
        let result = if req.writes.is_large(LARGE_COMMIT) {
            // Too large to share a batch: committed on its own, streamed to the engine.
            inner.commit_large(req)
        } else {
            inner
                .group
                .submit(req, |group| inner.write_group(group))
                .and_then(|staged| inner.finish_commit(staged))
        };
        // The commit is in the engine now: waiters that wake see its versions. (The
        // group's leader has usually released the locks already.)
        let outcome = if result.is_ok() { Outcome::Committed } else { Outcome::Aborted };
        inner.locks.release(&mut self.held.lock(), outcome);
        result
    }

    /// Discards the transaction's writes.
    pub fn rollback(self) {}

    /// Whether the transaction has buffered writes (savepoint rollbacks may leave it
    /// saying so after undoing them all): without any, every read sees exactly the
    /// committed state at [`read_ts`](Transaction::read_ts).
    pub fn has_writes(&self) -> bool {
        !self.writes.is_empty()
    }

    /// The timestamp the current snapshot reads at.
    pub fn read_ts(&self) -> Timestamp {
        self.read_ts
    }

    /// The branch read and written.
    pub fn branch(&self) -> BranchId {
        self.branch
    }

    /// The isolation level.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// Whether writes are refused (read-only or time travel).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        self.inner.locks.release(&mut self.held.lock(), Outcome::Aborted);
        self.inner.active.unpin(self.read_ts);
    }
}
