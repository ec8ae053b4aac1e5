//! The change feed: every commit hands its change set to in-process subscribers.
//!
//! Materialized-view maintenance, triggers, LISTEN/NOTIFY, audit and replication consume
//! it instead of re-deriving changes by scanning. Change sets are published in commit
//! order, after their batch is in the engine, from inside the commit sequencer. The old
//! values are read only while someone is subscribed.
//!
//! A subscriber gets an unbounded channel and must keep draining it; dropping the
//! receiver unsubscribes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use helios_common::{BranchId, Result, Timestamp, TxnId};
use parking_lot::Mutex;

use crate::branch::BranchRegistry;
use crate::kv::Snapshot;
use crate::mvcc::commit::{CommitInfo, CommitRequest};
use crate::mvcc::visibility::get_visible;

/// One key changed by a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The key.
    pub key: Vec<u8>,
    /// The value visible on the branch before the commit (`None`: absent).
    pub old: Option<Vec<u8>>,
    /// The value written (`None`: deleted).
    pub new: Option<Vec<u8>>,
}

/// Everything one commit changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSet {
    /// The transaction.
    pub txn_id: TxnId,
    /// Its commit timestamp.
    pub commit_ts: Timestamp,
    /// The branch written.
    pub branch: BranchId,
    /// The changes, ascending by key.
    pub changes: Vec<Change>,
}

/// The subscribers of one storage.
#[derive(Debug, Default)]
pub(crate) struct ChangeFeed {
    subscribers: Mutex<Vec<Sender<Arc<ChangeSet>>>>,
    count: AtomicUsize,
}

impl ChangeFeed {
    /// A new subscription.
    pub(crate) fn subscribe(&self) -> Receiver<Arc<ChangeSet>> {
        let (tx, rx) = channel();
        let mut subs = self.subscribers.lock();
        subs.push(tx);
        self.count.store(subs.len(), Ordering::SeqCst);
        rx
    }

    /// Whether anyone listens (so commits read old values).
    pub(crate) fn active(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }

    /// The change set of `req`, committed as `info`, with old values read from `snap`.
    pub(crate) fn change_set(
        snap: &dyn Snapshot,
        reg: &BranchRegistry,
        req: &CommitRequest,
        info: CommitInfo,
    ) -> Result<ChangeSet> {
        let chain = reg.chain(req.branch, Timestamp::MAX)?;
        let mut changes = Vec::new();
        for w in req.writes.iter()? {
            let w = w?;
            let old = get_visible(snap, &chain, &w.key)?;
            let new = w.value.map(std::borrow::Cow::into_owned);
            changes.push(Change { key: w.key.into_owned(), old, new });
        }
        Ok(ChangeSet {
            txn_id: info.txn_id,
            commit_ts: info.commit_ts,
            branch: req.branch,
            changes,
        })
    }

    /// Hands `sets` to every subscriber, in order; forgets subscribers that hung up.
    pub(crate) fn publish(&self, sets: Vec<ChangeSet>) {
        if sets.is_empty() {
            return;
        }
        let mut subs = self.subscribers.lock();
        for set in sets {
            let set = Arc::new(set);
            subs.retain(|s| s.send(set.clone()).is_ok());
        }
        self.count.store(subs.len(), Ordering::SeqCst);
    }
}
