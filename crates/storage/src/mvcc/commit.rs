//! Commit: conflict validation, timestamps, the commit log and group commit.
//!
//! ```text
//!  committer A ─┐                 ┌─ leader (first committer to find no leader):
//!  committer B ─┼─▶ queue ───────▶│   takes every queued request, and under the sequencer
//!  committer C ─┘   (tickets)     │   validates each (first committer wins), gives it the
//!                                 │   next HLC timestamp and a TxnId, stages its versions,
//!       followers wait on a       │   GC-queue entries and commit-log row into ONE batch,
//!       condvar for their ticket ◀┘   writes it with ONE durable sync, then publishes.
//! ```
//!
//! Requests that arrive while a leader is writing form the next group, so under load many
//! transactions share one sync; a lone committer leads at once, with no wait for company.
//! A request that fails validation (`40001`) stages nothing and fails alone; an engine
//! error fails every request of the group that had validated. On disk the group's batch is
//! one journal record and one `fdatasync` of the journal (`kv::disk`,
//! `docs/storage-format.md`). The leader releases the group's locks once the batch is in
//! the engine; with a durable disk engine that is before the sync, which each committer
//! then waits for (`Staged::token`). Once a commit is durable the *visible* timestamp
//! moves to it; new readers read at it, so a reader never sees a timestamp whose batch has
//! not landed (only a writer that met the commit on a locked row reads at the newer
//! *applied* timestamp, see `Transaction::commit`).

use std::collections::{HashMap, HashSet};
use std::ops::Bound;

use helios_common::{BranchId, Result, Timestamp, TxnId};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;

use crate::branch::BranchRegistry;
use crate::error::show_key;
use crate::kv::{PackedBatch, Snapshot};
use crate::mvcc::keys::{self, GcEntry};
use crate::mvcc::locks::HeldLocks;
use crate::mvcc::write_set::{WriteIter, WriteSet};
use crate::StorageError;

/// What a successful commit returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    /// The transaction's id in the commit log; `TxnId(0)` when it wrote nothing (such a
    /// commit leaves no record).
    pub txn_id: TxnId,
    /// Its commit timestamp (its read timestamp when it wrote nothing).
    pub commit_ts: Timestamp,
}

/// A transaction's writes, handed to the commit pipeline.
#[derive(Debug)]
pub(crate) struct CommitRequest {
    /// The branch written.
    pub branch: BranchId,
    /// The writes, by key.
    pub writes: WriteSet,
    /// The transaction's write locks: the group's leader releases them once the group is
    /// in the engine (what is left when the commit returns, the transaction releases).
    pub locks: Arc<Mutex<HeldLocks>>,
}

/// A commit its group's leader has put into the engine.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Staged {
    /// Its id and timestamp.
    pub info: CommitInfo,
    /// `Some`: durable only after [`crate::kv::Engine::sync_to`] of this token, and
    /// visible to new readers only after that ([`crate::storage::Inner::finish_commit`]).
    pub token: Option<u64>,
}

/// State guarded by the sequencer: whoever holds it may assign commit timestamps and
/// write to the engine.
#[derive(Debug)]
pub(crate) struct Sequencer {
    /// The id the next commit gets.
    pub next_txn: u64,
}

/// Keys already committed by earlier requests of the group being built.
pub(crate) type Claimed = HashSet<(BranchId, Vec<u8>)>;

/// The commit timestamp of the newest version of `key` in `branch`'s own keyspace.
/// `scratch` is a reusable buffer.
pub(crate) fn newest_ts(
    snap: &dyn Snapshot,
    branch: BranchId,
    key: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<Option<Timestamp>> {
    scratch.clear();
    keys::push_key_prefix(scratch, branch, key);
    let prefix_len = scratch.len();
    scratch.extend_from_slice(&[0; 8]);
    let mut end = scratch.clone();
    end[prefix_len..].copy_from_slice(&[0xFF; 8]);
    let lo: &[u8] = scratch;
    let mut iter = snap.scan((Bound::Included(lo), Bound::Included(&end)), false)?;
    match iter.next() {
        Some(row) => {
            let (k, _) = row?;
            match k.get(prefix_len..) {
                Some(ts) if ts.len() == 8 && k[..prefix_len] == scratch[..prefix_len] => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(ts);
                    Ok(Some(Timestamp(!u64::from_be_bytes(b))))
                }
                _ => Err(StorageError::Corrupted("malformed versioned key".into()).into()),
            }
        }
        None => Ok(None),
    }
}

/// Write sets at least this large find their keys' previous versions with one ordered
/// pass over the branch's keyspace instead of one lookup per key.
const MERGE_JOIN_MIN: usize = 64;

/// The newest version's timestamp of every key of `writes` on `branch`, in key order; an
/// empty result means that no key has one (the write set is then not iterated again).
///
/// Large write sets walk the branch's versions between their first and last key once,
/// side by side with the sorted keys (a bulk load into an empty range reads nothing at
/// all). When the walk passes over many more versions than there are keys (sparse writes
/// into a large table), the remaining keys fall back to point lookups.
pub(crate) fn previous_versions(
    snap: &dyn Snapshot,
    branch: BranchId,
    writes: &WriteSet,
) -> Result<Vec<Option<Timestamp>>> {
    let mut scratch = Vec::new();
    let mut out = Vec::new();
    let n = writes.len();
    let Some((first, last)) = writes.key_bounds() else { return Ok(out) };
    let mut keys_iter = writes.iter()?.peekable();
    if n < MERGE_JOIN_MIN {
        for w in keys_iter {
            out.push(newest_ts(snap, branch, &w?.key, &mut scratch)?);
        }
        return Ok(out);
    }
    let range = keys::data_range(branch, &(Bound::Included(first), Bound::Included(last)));
    let mut prefix = Vec::new();
    let set_prefix = |prefix: &mut Vec<u8>, key: &[u8]| {
        prefix.clear();
        keys::push_key_prefix(prefix, branch, key);
    };
    // Moves to the next write key, setting `prefix` to it; `false` at the end.
    let advance =
        |prefix: &mut Vec<u8>, it: &mut std::iter::Peekable<WriteIter<'_>>| -> Result<bool> {
            match it.peek() {
                None => Ok(false),
                Some(Err(_)) => match it.next() {
                    Some(Err(e)) => Err(e),
                    _ => Ok(false),
                },
                Some(Ok(w)) => {
                    set_prefix(prefix, &w.key);
                    Ok(true)
                }
            }
        };
    let mut more = advance(&mut prefix, &mut keys_iter)?;
    let budget = 4 * n + 1024;
    let mut steps = 0usize;
    snap.visit(keys::as_kv_range(&range), false, &mut |k, _| {
        steps += 1;
        if k.len() < 8 {
            return Err(StorageError::Corrupted("malformed versioned key".into()).into());
        }
        let (body, ts) = k.split_at(k.len() - 8);
        // Advance the write keys that sort before this version: they have none.
        while more && prefix.as_slice() < body {
            keys_iter.next();
            out.push(None);
            more = advance(&mut prefix, &mut keys_iter)?;
        }
        if !more {
            return Ok(false);
        }
        if prefix.as_slice() == body {
            // The first version of a key is its newest.
            let mut b = [0u8; 8];
            b.copy_from_slice(ts);
            out.push(Some(Timestamp(!u64::from_be_bytes(b))));
            keys_iter.next();
            more = advance(&mut prefix, &mut keys_iter)?;
        }
        Ok(steps < budget)
    })?;
    // Keys the walk did not reach: none left in the range, or the budget ran out.
    let walked_all = steps < budget;
    if walked_all && out.iter().all(Option::is_none) {
        // A load into a new key range: nothing to look up, so no pass over the rest.
        return Ok(Vec::new());
    }
    for w in keys_iter {
        let w = w?;
        out.push(if walked_all { None } else { newest_ts(snap, branch, &w.key, &mut scratch)? });
    }
    Ok(out)
}

/// Fails with `40001` when a write of `req` conflicts: a version committed after the
/// write's snapshot, or a key claimed by an earlier request of the same group. Returns the
/// previous versions' timestamps, in key order, as [`previous_versions`] does (empty: none).
pub(crate) fn validate(
    snap: &dyn Snapshot,
    reg: &BranchRegistry,
    claimed: &Claimed,
    req: &CommitRequest,
) -> Result<Vec<Option<Timestamp>>> {
    reg.require(req.branch)?;
    let previous = previous_versions(snap, req.branch, &req.writes)?;
    if previous.is_empty() && claimed.is_empty() {
        // No earlier version and no claimed key: nothing can conflict.
        return Ok(previous);
    }
    for (i, w) in req.writes.iter()?.enumerate() {
        let w = w?;
        let prev = previous.get(i).copied().flatten();
        // Only requests earlier in the same group claim keys: usually there are none.
        if !claimed.is_empty() && claimed.contains(&(req.branch, w.key.to_vec())) {
            return Err(StorageError::SerializationFailure { key: show_key(&w.key) }.into());
        }
        if prev.is_some_and(|p| p > w.since) {
            return Err(StorageError::SerializationFailure { key: show_key(&w.key) }.into());
        }
    }
    Ok(previous)
}

/// Receives `(key, value, value prefix)`: the engine value is the prefix then the value.
pub(crate) type EmitFn<'a> = dyn FnMut(&[u8], Option<&[u8]>, &[u8]) + 'a;

/// Calls `emit` with every engine write of `req` committed at `commit_ts` as `txn_id`:
/// versions, change-index entries, GC-queue entries and the commit-log row. `previous`
/// is [`validate`]'s result (empty: no key had a version).
pub(crate) fn emit_versions(
    req: &CommitRequest,
    previous: &[Option<Timestamp>],
    commit_ts: Timestamp,
    txn_id: TxnId,
    emit: &mut EmitFn<'_>,
) -> Result<()> {
    let inverted = (!commit_ts.0).to_be_bytes();
    let (mut scratch, mut escaper) = (Vec::new(), keys::Escaper::default());
    // The change index: the written keys, in chunks of about CHANGE_CHUNK bytes.
    // Each chunk's keys are prefix-compressed against the previous key of the chunk.
    let (mut changes, mut chunk, mut prev_key) = (Vec::new(), 0u32, Vec::new());
    let mut i = 0;
    req.writes.visit(&mut |key, value, _since| {
        let prev = previous.get(i).copied().flatten();
        i += 1;
        scratch.clear();
        escaper.push_key_prefix(&mut scratch, req.branch, key);
        scratch.extend_from_slice(&inverted);
        // `(key, value-prefix, value)`: the value is written as `[1] value` or `[0]`.
        match value {
            Some(v) => emit(&scratch, Some(v), &[1]),
            None => emit(&scratch, None, &[0]),
        }
        keys::push_change(&mut changes, &prev_key, key);
        if changes.len() >= keys::CHANGE_CHUNK {
            emit(&keys::change_key(req.branch, commit_ts, chunk), Some(&changes), &[]);
            changes.clear();
            chunk += 1;
            prev_key.clear();
        } else {
            prev_key.clear();
            prev_key.extend_from_slice(key);
        }
        if let Some(version) = prev {
            let e = GcEntry {
                superseded_at: commit_ts,
                branch: req.branch,
                version,
                key: key.to_vec(),
            };
            emit(&e.encode(), None, &[]);
        }
        if value.is_none() {
            // A tombstone is itself garbage once nothing older remains below it.
            let e = GcEntry {
                superseded_at: commit_ts,
                branch: req.branch,
                version: commit_ts,
                key: key.to_vec(),
            };
            emit(&e.encode(), None, &[]);
        }
        Ok(())
    })?;
    if !changes.is_empty() {
        emit(&keys::change_key(req.branch, commit_ts, chunk), Some(&changes), &[]);
    }
    let log = keys::commit_log_value(commit_ts, req.branch);
    emit(&keys::commit_log_key(txn_id), None, &log);
    Ok(())
}

/// Validates `req` against `snap` (the latest state) and `claimed`, and on success stages
/// it into `batch` with timestamp `ts` and id `txn`. Nothing is staged on failure. With
/// `record`, the written keys are added to `claimed` (needed only when later requests of
/// the same group follow).
pub(crate) fn stage(
    snap: &dyn Snapshot,
    reg: &BranchRegistry,
    claimed: &mut Claimed,
    record: bool,
    req: &CommitRequest,
    ts: impl FnOnce() -> (Timestamp, TxnId),
    batch: &mut PackedBatch,
) -> Result<CommitInfo> {
    let previous = validate(snap, reg, claimed, req)?;
    let (commit_ts, txn_id) = ts();
    emit_versions(req, &previous, commit_ts, txn_id, &mut |k, v, head| match v {
        Some(v) => batch.put_parts(&[k], &[head, v]),
        None => batch.put(k, head),
    })?;
    if record {
        for w in req.writes.iter()? {
            claimed.insert((req.branch, w?.key.into_owned()));
        }
    }
    Ok(CommitInfo { txn_id, commit_ts })
}

/// The group-commit queue.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    state: Mutex<QueueState>,
    cond: Condvar,
}

#[derive(Debug, Default)]
struct QueueState {
    pending: Vec<(u64, CommitRequest)>,
    done: HashMap<u64, Result<Staged>>,
    leader: bool,
    next_ticket: u64,
}

/// Results of one group, by ticket.
pub(crate) type GroupResults = Vec<(u64, Result<Staged>)>;

impl GroupCommit {
    /// Queues `req` and waits for its result; the caller may become the leader and run
    /// `write_group` for everyone queued.
    pub(crate) fn submit(
        &self,
        req: CommitRequest,
        write_group: impl Fn(Vec<(u64, CommitRequest)>) -> GroupResults,
    ) -> Result<Staged> {
        let mut state = self.state.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.pending.push((ticket, req));
        loop {
            if let Some(result) = state.done.remove(&ticket) {
                return result;
            }
            if !state.leader {
                state.leader = true;
                let group = std::mem::take(&mut state.pending);
                let tickets: Vec<u64> = group.iter().map(|(t, _)| *t).collect();
                let results = parking_lot::MutexGuard::unlocked(&mut state, || {
                    // A panic in the leader must not leave its followers waiting forever.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write_group(group)))
                        .unwrap_or_else(|_| {
                            let e = helios_common::Error::internal("commit leader panicked");
                            tickets.into_iter().map(|t| (t, Err(e.clone()))).collect()
                        })
                });
                state.done.extend(results);
                state.leader = false;
                self.cond.notify_all();
                continue;
            }
            self.cond.wait(&mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{Engine, MemoryEngine};

    /// Versions of key `i` (4-byte big-endian, with zero bytes to exercise escaping):
    /// key `i` has `i % 3` versions at timestamps `10 * i + v`.
    fn engine_with(keys: impl Iterator<Item = u32>) -> MemoryEngine {
        let e = MemoryEngine::new();
        let mut b = PackedBatch::default();
        for i in keys {
            for v in 0..(i % 3) {
                let ts = Timestamp(10 * u64::from(i) + u64::from(v));
                b.put(&keys::version_key(BranchId::MAIN, &i.to_be_bytes(), ts), &[1]);
                // Another branch's versions must not be found.
                b.put(&keys::version_key(BranchId(2), &i.to_be_bytes(), ts), &[1]);
            }
        }
        e.write_packed(b, false).expect("write");
        e
    }

    fn check(e: &MemoryEngine, writes: impl Iterator<Item = u32>) {
        let mut ws = WriteSet::default();
        for i in writes {
            ws.write(&i.to_be_bytes(), Some(b"v"), Timestamp(1)).expect("write");
        }
        let snap = e.snapshot().expect("snapshot");
        let got = previous_versions(&*snap, BranchId::MAIN, &ws).expect("walk");
        let mut scratch = Vec::new();
        let want: Vec<_> = ws
            .iter()
            .expect("iter")
            .map(|w| {
                let w = w.expect("entry");
                newest_ts(&*snap, BranchId::MAIN, &w.key, &mut scratch).expect("lookup")
            })
            .collect();
        assert_eq!(got, want);
        assert!(want.iter().any(Option::is_some) && want.iter().any(Option::is_none));
    }

    #[test]
    fn ordered_walk_finds_the_same_versions_as_lookups() {
        // Dense: the walk covers everything.
        check(&engine_with(0..500), (0..1000).step_by(2));
        // Sparse writes into a large table: the walk's budget runs out, lookups finish.
        check(&engine_with(0..20_000), (0..20_000).step_by(97));
        // Small write sets use lookups only.
        check(&engine_with(0..50), 0..40);
        // A load into a range with no versions: an empty answer, the keys not iterated.
        let e = engine_with(10_000..10_100);
        let mut ws = WriteSet::default();
        for i in 0..5_000u32 {
            ws.write(&i.to_be_bytes(), Some(b"v"), Timestamp(1)).expect("write");
        }
        let snap = e.snapshot().expect("snapshot");
        assert_eq!(previous_versions(&*snap, BranchId::MAIN, &ws).expect("walk"), vec![]);
    }
}
