//! Git-like branches: the registry, diff and three-way merge.
//!
//! A branch is a registry row (id, name, parent, fork timestamp, created at); creating one
//! copies nothing. Its own writes go to its own keyspace `[0x01][branch]...`; everything
//! else is read through its parent as of the fork timestamp (see [`crate::mvcc`] for the
//! read chain). `main` is [`BranchId::MAIN`](helios_common::BranchId::MAIN) and always
//! exists.
//!
//! Merge is three-way, per key, with the fork point as base:
//!
//! ```text
//!   base = common ancestor as of the earliest fork point on the way to it
//!   key changed only on src         -> applied to dst
//!   key changed only on dst         -> kept
//!   changed on both, same result    -> kept
//!   changed on both, different      -> conflict: Fail (nothing changes, error lists keys)
//!                                                Ours (keep dst) | Theirs (take src)
//! ```
//!
//! The base is the fork point for the first merge between two branches; each merge is
//! recorded, and later merges between the same pair use the recorded state as base.

mod changed;
mod diff;
mod merge;
pub(crate) mod registry;

pub use diff::DiffEntry;
pub use merge::{MergeConflict, MergeReport, MergeStrategy};
pub use registry::{BranchInfo, MAX_BRANCH_NAME};

pub(crate) use diff::diff;
pub(crate) use merge::merge;
pub(crate) use registry::BranchRegistry;
