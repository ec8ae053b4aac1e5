//! The keys that may differ between branch states, from the change index.
//!
//! Every commit records the keys it writes under `[0x05][branch][commit ts][chunk]`. The value
//! of a key through a read chain depends only on the versions of each chain branch at or
//! below that branch's cap. So when several chains give a branch caps `c1 <= ... <= cn`
//! (0 for a chain that does not contain it), a key can read differently through them only
//! if some branch wrote it in `(c1, cn]`. Diff and merge look at those keys alone: their
//! cost follows the number of changed keys, not the size of the data.

use std::collections::{BTreeMap, BTreeSet};

use helios_common::{BranchId, Result, Timestamp};

use crate::kv::Snapshot;
use crate::mvcc::keys::{as_kv_range, change_range, for_each_change};
use crate::mvcc::ChainLink;

/// Every key that some branch wrote between the smallest and the largest cap the
/// `chains` give it (ascending).
pub(crate) fn changed_keys(
    snap: &dyn Snapshot,
    chains: &[&[ChainLink]],
) -> Result<BTreeSet<Vec<u8>>> {
    // branch -> (smallest cap, largest cap, number of chains containing it)
    let mut caps: BTreeMap<BranchId, (Timestamp, Timestamp, usize)> = BTreeMap::new();
    for chain in chains {
        for link in chain.iter() {
            let e = caps.entry(link.branch).or_insert((link.cap, link.cap, 0));
            e.0 = e.0.min(link.cap);
            e.1 = e.1.max(link.cap);
            e.2 += 1;
        }
    }
    let mut keys = BTreeSet::new();
    for (branch, (lo, hi, n)) in caps {
        // A chain without the branch reads none of its versions: cap 0.
        let lo = if n < chains.len() { Timestamp::ZERO } else { lo };
        if lo >= hi {
            continue;
        }
        let range = change_range(branch, lo, hi);
        snap.visit(as_kv_range(&range), false, &mut |_, chunk| {
            for_each_change(chunk, |key| {
                if !keys.contains(key) {
                    keys.insert(key.to_vec());
                }
            })?;
            Ok(true)
        })?;
    }
    Ok(keys)
}
