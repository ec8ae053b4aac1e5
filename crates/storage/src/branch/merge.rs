//! Three-way merge of one branch into another (see [`crate::branch`]).
//!
//! Each merge records `src` as of the merge's read timestamp in the registry; the next
//! merge between the same two branches (either direction) uses that state as its base, so
//! changes merged once are not reported again.

use helios_common::{BranchId, Result, Timestamp, TxnId};

use crate::branch::changed::changed_keys;
use crate::branch::registry::merge_row_key;
use crate::branch::BranchRegistry;
use crate::error::show_key;
use crate::kv::{PackedBatch, WriteBatch};
use crate::mvcc::change_feed::ChangeFeed;
use crate::mvcc::commit::{stage, Claimed, CommitInfo, CommitRequest};
use crate::mvcc::keys::META_CLOCK;
use crate::mvcc::visibility::{get_visible, ChainLink};
use crate::mvcc::write_set::WriteSet;
use crate::storage::Inner;
use crate::StorageError;

/// How keys changed on both sides are resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MergeStrategy {
    /// Change nothing and fail, listing the conflicting keys.
    #[default]
    Fail,
    /// Keep the destination's value.
    Ours,
    /// Take the source's value.
    Theirs,
}

/// A key changed differently on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeConflict {
    /// The key.
    pub key: Vec<u8>,
    /// Its value at the fork point.
    pub base: Option<Vec<u8>>,
    /// Its value on the source branch.
    pub source: Option<Vec<u8>>,
    /// Its value on the destination branch.
    pub target: Option<Vec<u8>>,
}

/// What a merge did (or, for a preview, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Keys written into the destination, with the value written (`None`: deleted).
    pub applied: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Keys changed on both sides, however they were resolved.
    pub conflicts: Vec<MergeConflict>,
    /// The merge commit on the destination; `None` when nothing was written.
    pub commit: Option<CommitInfo>,
}

/// The read chain of the merge base of `src` and `dst`: the state of the last merge
/// between them, or else their nearest common ancestor as of the earliest fork point on
/// either path to it.
fn merge_base(
    reg: &BranchRegistry,
    src: BranchId,
    dst: BranchId,
    now: Timestamp,
) -> Result<Vec<ChainLink>> {
    if let Some((from, at)) = reg.last_merge(src, dst) {
        // `from` as of `at` is contained in both branches since that merge.
        return reg.chain(from, at);
    }
    let sc = reg.chain(src, Timestamp::MAX)?;
    let dc = reg.chain(dst, Timestamp::MAX)?;
    for s in &sc {
        if let Some(d) = dc.iter().find(|d| d.branch == s.branch) {
            return reg.chain(s.branch, s.cap.min(d.cap).min(now));
        }
    }
    Err(StorageError::Corrupted("branches without a common ancestor".into()).into())
}

/// Merges `src` into `dst`; with `dry_run` nothing is written and conflicts are reported
/// instead of failing.
pub(crate) fn merge(
    inner: &Inner,
    src: BranchId,
    dst: BranchId,
    strategy: MergeStrategy,
    dry_run: bool,
) -> Result<MergeReport> {
    let mut seq = inner.sequencer.lock();
    let mut reg = inner.registry.write();
    let src_name = reg.require(src)?.name.clone();
    let dst_name = reg.require(dst)?.name.clone();
    if src == dst {
        return Err(StorageError::MergeIntoSelf(src_name).into());
    }
    inner.settle()?;
    let now = inner.visible_ts();
    let snap = inner.engine.snapshot()?;
    let chains = [reg.chain(src, now)?, reg.chain(dst, now)?, merge_base(&reg, src, dst, now)?];
    let candidates = changed_keys(&*snap, &[&chains[0], &chains[1], &chains[2]])?;
    let mut report = MergeReport::default();
    for key in candidates {
        let source = get_visible(&*snap, &chains[0], &key)?;
        let target = get_visible(&*snap, &chains[1], &key)?;
        let base = get_visible(&*snap, &chains[2], &key)?;
        let src_changed = source != base;
        let dst_changed = target != base;
        if !src_changed || source == target {
            continue;
        }
        if !dst_changed {
            report.applied.push((key, source));
            continue;
        }
        if strategy == MergeStrategy::Theirs {
            report.applied.push((key.clone(), source.clone()));
        }
        report.conflicts.push(MergeConflict { key, base, source, target });
    }
    if dry_run {
        return Ok(report);
    }
    if strategy == MergeStrategy::Fail && !report.conflicts.is_empty() {
        let keys = report.conflicts.iter().map(|c| show_key(&c.key)).collect();
        return Err(StorageError::MergeConflict { src: src_name, dst: dst_name, keys }.into());
    }
    if report.applied.is_empty() {
        let mut batch = WriteBatch::default();
        batch.put(merge_row_key(src, dst), now.0.to_be_bytes().to_vec());
        inner.engine.write(batch, inner.durable)?;
        reg.record_merge(src, dst, now);
        return Ok(report);
    }
    let mut writes = WriteSet::default();
    for (k, v) in &report.applied {
        writes.write_since(k, v.as_deref(), Timestamp::MAX);
    }
    let req = CommitRequest { branch: dst, writes, locks: Default::default() };
    let mut batch = PackedBatch::default();
    batch.put(&merge_row_key(src, dst), &now.0.to_be_bytes());
    let info = stage(
        &*snap,
        &reg,
        &mut Claimed::new(),
        false,
        &req,
        || {
            let id = TxnId(seq.next_txn);
            seq.next_txn += 1;
            (inner.clock.tick(), id)
        },
        &mut batch,
    )?;
    let set = if inner.feed.active() {
        Some(ChangeFeed::change_set(&*snap, &reg, &req, info)?)
    } else {
        None
    };
    batch.put(META_CLOCK, &inner.clock.last().0.to_be_bytes());
    inner.engine.write_packed(batch, inner.durable)?;
    inner.publish(info.commit_ts);
    reg.record_merge(src, dst, now);
    inner.feed.publish(set.into_iter().collect());
    report.commit = Some(info);
    Ok(report)
}
