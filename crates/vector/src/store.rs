//! Row ids, node ids and the [`NodeStore`] trait the index is persisted through.

use std::fmt;

/// The id of a row version the index points at. Opaque to this crate: the SQL layer maps
/// it to a table row (and its version), and the search's filter callback receives it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RowId(pub u64);

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowId({})", self.0)
    }
}
