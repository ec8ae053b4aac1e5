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
//! transactions share one sync. After the batch is written the *visible* timestamp moves
//! to the group's last commit timestamp; new readers read at it, so a reader never sees a
//! timestamp whose batch has not landed.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;

use helios_common::{BranchId, Result, Timestamp, TxnId};
use parking_lot::{Condvar, Mutex};

use crate::branch::BranchRegistry;
use crate::error::show_key;
use crate::kv::{PackedBatch, Snapshot};
use crate::mvcc::keys::{self, GcEntry};
use crate::mvcc::write_set::WriteSet;
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
fn newest_ts(
    snap: &dyn Snapshot,
    branch: BranchId,
    key: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<Option<Timestamp>> {
    scratch.clear();
    scratch.push(keys::Space::Data as u8);
    scratch.extend_from_slice(&branch.0.to_be_bytes());
    keys::escape_into(scratch, key);
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
    reg.require(req.branch)?;
    let mut previous = Vec::with_capacity(req.writes.len());
    let mut scratch = Vec::new();
    for (key, _, since) in req.writes.iter() {
        // Only requests earlier in the same group claim keys: usually there are none.
        if !claimed.is_empty() && claimed.contains(&(req.branch, key.to_vec())) {
            return Err(StorageError::SerializationFailure { key: show_key(key) }.into());
        }
        let prev = newest_ts(snap, req.branch, key, &mut scratch)?;
        if let Some(prev_ts) = prev {
            if prev_ts > since {
                return Err(StorageError::SerializationFailure { key: show_key(key) }.into());
            }
        }
        previous.push(prev);
    }
    let (commit_ts, txn_id) = ts();
    let inverted = (!commit_ts.0).to_be_bytes();
    for ((key, value, _), prev) in req.writes.iter().zip(previous) {
        scratch.clear();
        scratch.push(keys::Space::Data as u8);
        scratch.extend_from_slice(&req.branch.0.to_be_bytes());
        keys::escape_into(&mut scratch, key);
        scratch.extend_from_slice(&inverted);
        match value {
            Some(v) => batch.put_parts(&[&scratch], &[&[1], v]),
            None => batch.put(&scratch, &[0]),
        }
        if let Some(version) = prev {
            let e = GcEntry {
                superseded_at: commit_ts,
                branch: req.branch,
                version,
                key: key.to_vec(),
            };
            batch.put(&e.encode(), &[]);
        }
        if value.is_none() {
            // A tombstone is itself garbage once nothing older remains below it.
            let e = GcEntry {
                superseded_at: commit_ts,
                branch: req.branch,
                version: commit_ts,
                key: key.to_vec(),
            };
            batch.put(&e.encode(), &[]);
        }
        if record {
            claimed.insert((req.branch, key.to_vec()));
        }
    }
    batch.put(&keys::commit_log_key(txn_id), &keys::commit_log_value(commit_ts, req.branch));
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
    done: HashMap<u64, Result<CommitInfo>>,
    leader: bool,
    next_ticket: u64,
}

/// Results of one group, by ticket.
pub(crate) type GroupResults = Vec<(u64, Result<CommitInfo>)>;

impl GroupCommit {
    /// Queues `req` and waits for its result; the caller may become the leader and run
    /// `write_group` for everyone queued.
    pub(crate) fn submit(
        &self,
        req: CommitRequest,
        write_group: impl Fn(Vec<(u64, CommitRequest)>) -> GroupResults,
    ) -> Result<CommitInfo> {
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
