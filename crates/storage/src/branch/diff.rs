//! Differences between the latest states of two branches.

use std::ops::Bound;

use helios_common::{BranchId, Result};

use crate::branch::zip::{State, Zip};
use crate::mvcc::visibility::scan_chain;
use crate::storage::Inner;

/// A key whose value differs between two branches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffEntry {
    /// The key.
    pub key: Vec<u8>,
    /// Its value on the first branch (`None`: absent).
    pub old: Option<Vec<u8>>,
    /// Its value on the second branch (`None`: absent).
    pub new: Option<Vec<u8>>,
}

/// The keys whose latest values differ between `a` and `b`, ascending.
///
/// TODO(perf): this compares the full visible states; restricting it to keys written on
/// either side since the common ancestor needs a per-branch change index.
pub(crate) fn diff(inner: &Inner, a: BranchId, b: BranchId) -> Result<Vec<DiffEntry>> {
    let snap = inner.engine.snapshot()?;
    let ts = inner.visible_ts();
    let (ca, cb) = {
        let reg = inner.registry.read();
        (reg.chain(a, ts)?, reg.chain(b, ts)?)
    };
    let all = (Bound::Unbounded, Bound::Unbounded);
    let sa: State<'_> = Box::new(scan_chain(&*snap, &ca, &all, false, None)?);
    let sb: State<'_> = Box::new(scan_chain(&*snap, &cb, &all, false, None)?);
    let mut out = Vec::new();
    for row in Zip::new(vec![sa, sb]) {
        let (key, mut values) = row?;
        let new = values.pop().flatten();
        let old = values.pop().flatten();
        if old != new {
            out.push(DiffEntry { key, old, new });
        }
    }
    Ok(out)
}
