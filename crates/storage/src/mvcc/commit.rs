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

use std::collections::{BTreeMap, HashMap, HashSet};

use helios_common::{BranchId, Result, Timestamp, TxnId};
use parking_lot::{Condvar, Mutex};

use crate::branch::BranchRegistry;
use crate::error::show_key;
use crate::kv::{Snapshot, WriteBatch};
use crate::mvcc::keys::{self, GcEntry};
use crate::mvcc::visibility::newest_version;
use crate::mvcc::write_set::Pending;
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
    pub writes: BTreeMap<Vec<u8>, Pending>,
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

/// Validates `req` against `snap` (the latest state) and `claimed`, and on success stages
/// it into `batch` with timestamp `ts` and id `txn`. Nothing is staged on failure.
pub(crate) fn stage(
    snap: &dyn Snapshot,
    reg: &BranchRegistry,
    claimed: &mut Claimed,
    req: &CommitRequest,
    ts: impl FnOnce() -> (Timestamp, TxnId),
    batch: &mut WriteBatch,
) -> Result<CommitInfo> {
    reg.require(req.branch)?;
    let mut previous = Vec::with_capacity(req.writes.len());
    for (key, pending) in &req.writes {
        let conflict = StorageError::SerializationFailure { key: show_key(key) };
        if claimed.contains(&(req.branch, key.clone())) {
            return Err(conflict.into());
        }
        let prev = newest_version(snap, req.branch, key, Timestamp::MAX)?;
        if let Some((prev_ts, _)) = prev {
            if prev_ts > pending.since {
                return Err(conflict.into());
            }
        }
        previous.push(prev.map(|(t, _)| t));
    }
    let (commit_ts, txn_id) = ts();
    for ((key, pending), prev) in req.writes.iter().zip(previous) {
        batch.put(
            keys::version_key(req.branch, key, commit_ts),
            keys::encode_value(pending.value.as_deref()),
        );
        if let Some(version) = prev {
            let e =
                GcEntry { superseded_at: commit_ts, branch: req.branch, version, key: key.clone() };
            batch.put(e.encode(), Vec::new());
        }
        if pending.value.is_none() {
            // A tombstone is itself garbage once nothing older remains below it.
            let e = GcEntry {
                superseded_at: commit_ts,
                branch: req.branch,
                version: commit_ts,
                key: key.clone(),
            };
            batch.put(e.encode(), Vec::new());
        }
        claimed.insert((req.branch, key.clone()));
    }
    batch.put(keys::commit_log_key(txn_id), keys::commit_log_value(commit_ts, req.branch));
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
