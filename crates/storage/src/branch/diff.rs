//! Differences between the latest states of two branches.

use helios_common::{BranchId, Result};

use crate::branch::changed::changed_keys;
use crate::mvcc::visibility::get_visible;
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

/// The keys whose latest values differ between `a` and `b`, ascending. Only keys written
/// where the two read chains differ are compared (see [`super::changed`]).
pub(crate) fn diff(inner: &Inner, a: BranchId, b: BranchId) -> Result<Vec<DiffEntry>> {
    let snap = inner.engine.snapshot()?;
    let ts = inner.visible_ts();
    let (ca, cb) = {
        let reg = inner.registry.read();
        (reg.chain(a, ts)?, reg.chain(b, ts)?)
    };
    let mut out = Vec::new();
    for key in changed_keys(&*snap, &[&ca, &cb])? {
        let old = get_visible(&*snap, &ca, &key)?;
        let new = get_visible(&*snap, &cb, &key)?;
        if old != new {
            out.push(DiffEntry { key, old, new });
        }
    }
    Ok(out)
}
