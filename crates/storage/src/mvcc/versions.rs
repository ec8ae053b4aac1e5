//! Version history: every retained version of a key range between two timestamps, as
//! seen from one branch (its own versions, then its ancestors' up to each fork point),
//! and the commit log read backwards.
//!
//! This is what `VERSIONS BETWEEN` and the `helios_commits` view read. Costs: one raw
//! scan of the range per branch in the chain, plus one scan of the commit log over the
//! requested interval to name each version's transaction.

use std::collections::HashMap;
use std::ops::Bound;

use helios_common::{BranchId, Result, Timestamp, TxnId};

use crate::kv::Snapshot;
use crate::mvcc::keys::{self, as_kv_range, decode_value, decode_version_key, Space};
use crate::mvcc::visibility::{get_visible, ChainLink};
use crate::storage::Inner;

/// One retained version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRecord {
    /// The user key.
    pub key: Vec<u8>,
    /// Its commit timestamp.
    pub ts: Timestamp,
    /// The transaction that wrote it (`None` when its commit-log entry is gone).
    pub txn: Option<TxnId>,
    /// The value written; `None` for a deletion.
    pub value: Option<Vec<u8>>,
    /// The value the key had just before (`None`: absent).
    pub previous: Option<Vec<u8>>,
}

/// One commit-log entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitRecord {
    /// The transaction id.
    pub txn: TxnId,
    /// Its commit timestamp.
    pub ts: Timestamp,
    /// The branch it committed on.
    pub branch: BranchId,
}

/// Commit-log entries with `from <= ts <= to`, oldest first.
pub(crate) fn commits(
    snap: &dyn Snapshot,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<CommitRecord>> {
    let (lo, hi) = ([Space::CommitLog as u8], [Space::CommitLog as u8 + 1]);
    let mut out = Vec::new();
    // Timestamps grow with transaction ids: walk backwards and stop below `from`.
    for row in snap.scan((Bound::Included(&lo[..]), Bound::Excluded(&hi[..])), true)? {
        let (k, v) = row?;
        let (txn, ts, branch) = keys::decode_commit_log(&k, &v)?;
        if ts < from {
            break;
        }
        if ts <= to {
            out.push(CommitRecord { txn, ts, branch });
        }
    }
    out.reverse();
    Ok(out)
}

/// Every version of the keys in `range` visible from `branch` with `from <= ts <= to`,
/// ordered by key, then timestamp. `from` must be inside the retention window (72000).
pub(crate) fn versions(
    inner: &Inner,
    branch: BranchId,
    range: &(Bound<Vec<u8>>, Bound<Vec<u8>>),
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<VersionRecord>> {
    inner.check_readable(from)?;
    let to = to.min(inner.visible_ts());
    let chain: Vec<ChainLink> = inner.registry.read().chain(branch, to)?;
    let snap = inner.engine.snapshot()?;
    let txns: HashMap<Timestamp, TxnId> =
        commits(&*snap, from, to)?.into_iter().map(|c| (c.ts, c.txn)).collect();
    let mut out = Vec::new();
    for (i, link) in chain.iter().enumerate() {
        let r = keys::data_range(link.branch, range);
        // All versions of one key, newest first, then the next key.
        let mut current: Option<Vec<u8>> = None;
        let mut group: Vec<(Timestamp, Option<Vec<u8>>)> = Vec::new();
        let mut flush = |key: &[u8], group: &mut Vec<(Timestamp, Option<Vec<u8>>)>| -> Result<()> {
            for j in 0..group.len() {
                let (ts, value) = &group[j];
                if *ts < from || *ts > link.cap {
                    continue;
                }
                let previous = match group.get(j + 1) {
                    Some((_, v)) => v.clone(),
                    None => get_visible(&*snap, &chain[i + 1..], key)?,
                };
                out.push(VersionRecord {
                    key: key.to_vec(),
                    ts: *ts,
                    txn: txns.get(ts).copied(),
                    value: value.clone(),
                    previous,
                });
            }
            group.clear();
            Ok(())
        };
        for row in snap.scan(as_kv_range(&r), false)? {
            let (k, v) = row?;
            let vk = decode_version_key(&k)?;
            if current.as_ref() != Some(&vk.key) {
                if let Some(c) = current.take() {
                    flush(&c, &mut group)?;
                }
                current = Some(vk.key.clone());
            }
            group.push((vk.ts, decode_value(&v)?));
        }
        if let Some(c) = current.take() {
            flush(&c, &mut group)?;
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key).then(a.ts.cmp(&b.ts)));
    Ok(out)
}

/// How many distinct user keys accepted by `filter` branch `branch` wrote in its own
/// keyspace (inherited keys are not counted). Cost: one scan of that keyspace.
pub(crate) fn count_own_keys(
    inner: &Inner,
    branch: BranchId,
    filter: &dyn Fn(&[u8]) -> bool,
) -> Result<u64> {
    let snap = inner.engine.snapshot()?;
    let r = keys::data_range(branch, &(Bound::Unbounded, Bound::Unbounded));
    let mut last: Option<Vec<u8>> = None;
    let mut n = 0u64;
    for row in snap.scan(as_kv_range(&r), false)? {
        let (k, _) = row?;
        let vk = decode_version_key(&k)?;
        if last.as_ref() != Some(&vk.key) {
            if filter(&vk.key) {
                n += 1;
            }
            last = Some(vk.key);
        }
    }
    Ok(n)
}
