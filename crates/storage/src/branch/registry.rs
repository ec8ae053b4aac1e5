//! The branch registry: which branches exist, their parents and fork points.
//!
//! Each branch is one meta row `[0x02]"branch/"[id u32 BE]` (layout in
//! `docs/storage-format.md`); the whole registry is small and kept in memory, loaded at
//! open and changed only under the commit sequencer, in the same engine batch as the rows.
//!
//! It also records, per pair of branches, the last merge between them: `from` as of `at`
//! is contained in the other branch, so later merges of the pair use that state as their
//! base instead of the fork point (row `[0x02]"merge/"[from u32][to u32]` -> `at u64`).

use std::collections::BTreeMap;

use helios_common::{BranchId, Result, Timestamp};

use crate::kv::Snapshot;
use crate::mvcc::keys::{
    read_u32, read_u64, META_BRANCH_PREFIX, META_MERGE_PREFIX, META_NEXT_BRANCH,
};
use crate::mvcc::ChainLink;
use crate::StorageError;

/// Longest branch name, in bytes.
pub const MAX_BRANCH_NAME: usize = 63;

/// One branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchInfo {
    /// Its id; `main` is [`BranchId::MAIN`].
    pub id: BranchId,
    /// Its unique name.
    pub name: String,
    /// The branch it forked from; `None` only for `main`.
    pub parent: Option<BranchId>,
    /// The parent's state at this timestamp is the branch's starting state.
    pub fork_ts: Timestamp,
    /// When the branch was created.
    pub created_at: Timestamp,
}

impl BranchInfo {
    /// The registry row key.
    pub(crate) fn row_key(id: BranchId) -> Vec<u8> {
        let mut k = META_BRANCH_PREFIX.to_vec();
        k.extend_from_slice(&id.0.to_be_bytes());
        k
    }

    /// The registry row value: parent (0 = none), fork, created, name.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(20 + self.name.len());
        v.extend_from_slice(&self.parent.map_or(0, |p| p.0).to_be_bytes());
        v.extend_from_slice(&self.fork_ts.0.to_be_bytes());
        v.extend_from_slice(&self.created_at.0.to_be_bytes());
        v.extend_from_slice(self.name.as_bytes());
        v
    }

    /// Decodes a registry row.
    pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<BranchInfo> {
        let id = key.get(META_BRANCH_PREFIX.len()..).ok_or_else(bad_row)?;
        if value.len() < 20 {
            return Err(bad_row());
        }
        let parent = read_u32(&value[..4])?;
        let name = std::str::from_utf8(&value[20..]).map_err(|_| bad_row())?;
        Ok(BranchInfo {
            id: BranchId(read_u32(id)?),
            name: name.to_string(),
            parent: (parent != 0).then_some(BranchId(parent)),
            fork_ts: Timestamp(read_u64(&value[4..12])?),
            created_at: Timestamp(read_u64(&value[12..20])?),
        })
    }
}

fn bad_row() -> helios_common::Error {
    StorageError::Corrupted("malformed branch registry row".into()).into()
}

/// All branches, in memory.
#[derive(Clone, Debug, Default)]
pub(crate) struct BranchRegistry {
    by_id: BTreeMap<BranchId, BranchInfo>,
    /// The id the next new branch gets; ids are never reused.
    pub next_id: u32,
    /// `(from, to) -> at`: the last merge of `from` (as of `at`) into `to`.
    merges: BTreeMap<(BranchId, BranchId), Timestamp>,
}

/// The registry row key of the merge record of `from` into `to`.
pub(crate) fn merge_row_key(from: BranchId, to: BranchId) -> Vec<u8> {
    let mut k = META_MERGE_PREFIX.to_vec();
    k.extend_from_slice(&from.0.to_be_bytes());
    k.extend_from_slice(&to.0.to_be_bytes());
    k
}

impl BranchRegistry {
    /// Loads the registry; empty when the database is new.
    pub(crate) fn load(snap: &dyn Snapshot) -> Result<BranchRegistry> {
        let mut reg = BranchRegistry {
            by_id: BTreeMap::new(),
            next_id: BranchId::MAIN.0 + 1,
            merges: BTreeMap::new(),
        };
        let mut end = META_BRANCH_PREFIX.to_vec();
        end.push(0xFF);
        use std::ops::Bound::{Excluded, Included};
        for row in snap.scan((Included(META_BRANCH_PREFIX), Excluded(&end)), false)? {
            let (k, v) = row?;
            let info = BranchInfo::decode(&k, &v)?;
            reg.by_id.insert(info.id, info);
        }
        let mut end = META_MERGE_PREFIX.to_vec();
        end.push(0xFF);
        for row in snap.scan((Included(META_MERGE_PREFIX), Excluded(&end)), false)? {
            let (k, v) = row?;
            let ids = &k[META_MERGE_PREFIX.len()..];
            if ids.len() != 8 {
                return Err(bad_row());
            }
            let pair = (BranchId(read_u32(&ids[..4])?), BranchId(read_u32(&ids[4..])?));
            reg.merges.insert(pair, Timestamp(read_u64(&v)?));
        }
        if let Some(v) = snap.get(META_NEXT_BRANCH)? {
            reg.next_id = reg.next_id.max(read_u32(&v)?);
        }
        Ok(reg)
    }

    /// Adds or replaces a branch.
    pub(crate) fn insert(&mut self, info: BranchInfo) {
        self.by_id.insert(info.id, info);
    }

    /// Removes a branch and its merge records; returns the row keys of those records.
    pub(crate) fn remove(&mut self, id: BranchId) -> Vec<Vec<u8>> {
        self.by_id.remove(&id);
        let gone: Vec<_> =
            self.merges.keys().filter(|(f, t)| *f == id || *t == id).copied().collect();
        gone.iter()
            .map(|pair| {
                self.merges.remove(pair);
                merge_row_key(pair.0, pair.1)
            })
            .collect()
    }

    /// Records that `from` as of `at` was merged into `to`.
    pub(crate) fn record_merge(&mut self, from: BranchId, to: BranchId, at: Timestamp) {
        self.merges.insert((from, to), at);
    }

    /// The latest merge record between `a` and `b`, either direction: `(from, at)`.
    pub(crate) fn last_merge(&self, a: BranchId, b: BranchId) -> Option<(BranchId, Timestamp)> {
        let ab = self.merges.get(&(a, b)).map(|t| (a, *t));
        let ba = self.merges.get(&(b, a)).map(|t| (b, *t));
        match (ab, ba) {
            (Some(x), Some(y)) => Some(if x.1 >= y.1 { x } else { y }),
            (x, y) => x.or(y),
        }
    }

    /// The branch with id `id`.
    pub(crate) fn get(&self, id: BranchId) -> Option<&BranchInfo> {
        self.by_id.get(&id)
    }

    /// The branch with id `id`, or an error naming it.
    pub(crate) fn require(&self, id: BranchId) -> Result<&BranchInfo> {
        self.get(id).ok_or_else(|| StorageError::BranchIdNotFound(id.0).into())
    }

    /// The branch named `name`.
    pub(crate) fn by_name(&self, name: &str) -> Option<&BranchInfo> {
        self.by_id.values().find(|b| b.name == name)
    }

    /// All branches by id.
    pub(crate) fn all(&self) -> impl Iterator<Item = &BranchInfo> {
        self.by_id.values()
    }

    /// The direct children of `id`.
    pub(crate) fn children(&self, id: BranchId) -> impl Iterator<Item = &BranchInfo> {
        self.by_id.values().filter(move |b| b.parent == Some(id))
    }

    /// The read chain of `branch` at `read_ts`: the branch, then its ancestors, each capped
    /// at the smallest fork timestamp on the way.
    pub(crate) fn chain(&self, branch: BranchId, read_ts: Timestamp) -> Result<Vec<ChainLink>> {
        let mut chain = Vec::new();
        let mut cap = read_ts;
        let mut current = self.require(branch)?;
        loop {
            chain.push(ChainLink { branch: current.id, cap });
            let Some(parent) = current.parent else { break };
            if chain.len() > self.by_id.len() {
                return Err(StorageError::Corrupted("cycle in branch registry".into()).into());
            }
            cap = cap.min(current.fork_ts);
            current = self.require(parent)?;
        }
        Ok(chain)
    }

    /// The caps at which `branch`'s versions must stay readable while the registry says
    /// so: descendants' fork points and merge bases. GC keeps the version visible at each.
    pub(crate) fn protected_caps(&self, branch: BranchId) -> Vec<Timestamp> {
        let mut caps = self.descendant_caps(branch);
        for ((from, _), at) in &self.merges {
            if let Ok(chain) = self.chain(*from, *at) {
                caps.extend(chain.iter().filter(|l| l.branch == branch).map(|l| l.cap));
            }
        }
        caps
    }

    /// The caps at which descendants of `branch` read its versions (forever, while they
    /// exist).
    pub(crate) fn descendant_caps(&self, branch: BranchId) -> Vec<Timestamp> {
        let mut caps = Vec::new();
        for b in self.by_id.values() {
            if b.id == branch {
                continue;
            }
            if let Ok(chain) = self.chain(b.id, Timestamp::MAX) {
                if let Some(link) = chain.iter().find(|l| l.branch == branch) {
                    caps.push(link.cap);
                }
            }
        }
        caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: u32, parent: Option<u32>, fork: u64) -> BranchInfo {
        BranchInfo {
            id: BranchId(id),
            name: format!("b{id}"),
            parent: parent.map(BranchId),
            fork_ts: Timestamp(fork),
            created_at: Timestamp(fork),
        }
    }

    #[test]
    fn chains_cap_at_the_smallest_fork_and_rows_round_trip() {
        let mut r = BranchRegistry::default();
        r.insert(info(1, None, 0));
        r.insert(info(2, Some(1), 50));
        r.insert(info(3, Some(2), 40));
        let chain = r.chain(BranchId(3), Timestamp(100)).expect("chain");
        let caps: Vec<_> = chain.iter().map(|l| (l.branch.0, l.cap.0)).collect();
        assert_eq!(caps, vec![(3, 100), (2, 40), (1, 40)]);
        assert_eq!(r.descendant_caps(BranchId(1)), vec![Timestamp(50), Timestamp(40)]);
        let b = info(3, Some(2), 40);
        assert_eq!(BranchInfo::decode(&BranchInfo::row_key(b.id), &b.encode()).expect("decode"), b);
        assert!(BranchInfo::decode(&BranchInfo::row_key(b.id), &[1, 2]).is_err());
    }
}
