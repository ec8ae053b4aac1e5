//! How a bound table reference reads history: as of one timestamp, or every version
//! between two. Set by the binder on the [`TableDef`](super::TableDef) of a scan (never
//! stored), read by the executor's scan.

use helios_common::Timestamp;

/// The time a table reference reads at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeTravel {
    /// `AS OF`: the table's rows as they were at this commit timestamp.
    AsOf(Timestamp),
    /// `VERSIONS BETWEEN`: every version committed in `[from, to]`.
    Versions(Timestamp, Timestamp),
}
