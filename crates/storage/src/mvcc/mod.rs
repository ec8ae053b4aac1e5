//! Multi-version concurrency control: versioned keys, snapshot transactions, branches'
//! read chains, time travel and garbage collection, all on top of a [`kv::Engine`].
//!
//! # Versions
//!
//! Every write of user key `K` on branch `B` by a transaction committing at timestamp `T`
//! adds one engine key; nothing is overwritten in place:
//!
//! ```text
//!   [0x01][B u32 BE][escape(K)][!T u64 BE]  ->  [0x01][value]   (put)
//!                                           ->  [0x00]          (delete: tombstone)
//! ```
//!
//! `escape` keeps byte order and makes keys prefix-free, and the timestamp is inverted, so
//! the versions of one key are contiguous and newest first. Timestamps come from a hybrid
//! logical clock ([`Hlc`]): wall-clock microseconds, strictly increasing, persisted, so a
//! commit timestamp is also a point in real time.
//!
//! # Visibility
//!
//! A transaction reads at a snapshot timestamp `R` (the last commit that is durable, with
//! every commit before it, when it starts — or, under READ COMMITTED, when its statement
//! starts; a statement restarted after a write conflict reads at the last commit in the
//! engine, see [`Transaction::commit`]). It sees,
//! for each key, the newest version with `T <= R`, plus its own buffered writes (a
//! foreign-key check may also read past its snapshot, at the last commit in the engine:
//! [`Transaction::visit_latest`]):
//!
//! ```text
//!   key "a":   T=40 "x"     T=25 tombstone     T=10 "w"
//!   time  ─────10──────────────25──────────────40──────▶
//!   R=12 sees "w"        R=30 sees nothing        R=45 sees "x"
//! ```
//!
//! Writes are buffered until commit ([`Transaction`]). Commit is first-committer-wins:
//! if another transaction committed a version of a written key after the snapshot that
//! first wrote it, commit fails with `40001`. Otherwise the writes get one new timestamp
//! and go to the engine in one atomic batch, shared with concurrent committers (group
//! commit, [`commit`]). REPEATABLE READ is snapshot isolation, so write skew is possible.
//!
//! # Write locks
//!
//! A writer also locks each key when it writes it ([`locks`]); a second writer of a locked
//! key waits for the holder to end (deadlocks fail with `40P01`, `lock_timeout` with
//! `55P03`). If the key has a version newer than the writer's snapshot (a holder that
//! committed changed it), READ COMMITTED asks its statement to restart on a fresh snapshot
//! ([`Transaction::take_statement_restart`]) and REPEATABLE READ fails with `40001`.
//! First-committer-wins validation at commit stays as the last line of defence. A durable
//! commit releases its locks once its batch is in the engine, before the sync that makes it
//! durable; its commit returns after the sync ([`commit`]).
//!
//! # Branches
//!
//! A branch has its own keyspace (the `B` in the key) and a parent as of a fork
//! timestamp. A reader on branch `C` at `R` walks a *chain*:
//!
//! ```text
//!   main ──●────●─────────●──────▶        chain of C at R:
//!               ╲ fork 20                   C    versions <= R
//!            dev ●───●────╲ fork 35         dev  versions <= min(R, 35)
//!                          C ●──●──▶        main versions <= min(R, 35, 20)
//! ```
//!
//! The nearest branch with a version wins (its tombstone hides the ancestors). Scans
//! merge one iterator per link ([`visibility`]). Writes only ever touch the branch's own
//! keyspace, so branches are isolated and creating one copies nothing. Merges are
//! three-way per key against the fork point (or the last merge between the same two
//! branches), see [`crate::branch`].
//!
//! # Large transactions
//!
//! A transaction's writes are buffered in memory (values in an arena, short keys inline)
//! until they pass the spill threshold; then they are frozen into sorted runs in anonymous
//! temporary files, sealed with a per-run random key when the database is encrypted
//! (`mvcc::spill`). Reads merge memory and runs; savepoints are write sequence numbers, so a
//! rollback across a spill marks an interval dead. A spilled transaction commits alone and
//! streams its versions into one engine write ([`kv::Engine::write_with`]).
//!
//! # Time travel
//!
//! `TxnOptions::as_of` reads at any timestamp inside the retention window: it is the same
//! visibility rule with `R` chosen by the caller. Reads before the window fail with
//! `72000 snapshot too old`; they never return an incomplete answer.
//!
//! # Garbage collection
//!
//! A version superseded at `S` is needed only by reads in `[T, S)`. Commit queues every
//! superseded version under `[0x04][S]...`; the collector ([`gc`]) walks the queue up to
//! its horizon `min(now - retention, oldest open snapshot)` and removes what no child
//! branch's fork point (or recorded merge base) still needs. The newest version at or
//! below the horizon always stays, so reads at the horizon and later are complete.
//!
//! # Change index
//!
//! Each commit also records the keys it writes under `[0x05][B][T][chunk]`. A key can only
//! read differently through several chains if some branch wrote it between the smallest and
//! the largest cap the chains give that branch, so diff and merge look up just those keys
//! ([`crate::branch`]): their cost follows the number of changed keys, not the data size.
//!
//! # Change feed
//!
//! Each commit's change set (key, old value, new value, commit timestamp, branch) goes to
//! in-process subscribers in commit order ([`change_feed`]), for materialized views,
//! triggers, notifications and replication.
//!
//! [`kv::Engine`]: crate::kv::Engine
//! [`kv::Engine::write_with`]: crate::kv::Engine::write_with

mod absent;
pub(crate) mod active;
pub mod change_feed;
mod clock;
pub mod commit;
pub mod gc;
pub mod keys;
pub mod locks;
pub(crate) mod spill;
mod transaction;
pub mod versions;
pub mod visibility;
pub(crate) mod write_set;

pub use change_feed::{Change, ChangeSet};
pub use clock::{Hlc, ManualClock, SystemClock, WallClock};
pub use commit::CommitInfo;
pub use gc::{GcStats, GcWorker};
pub use locks::{LockWait, RowLockStrength, RowLockWait};
pub use transaction::{Savepoint, Transaction};
pub use versions::{CommitRecord, VersionRecord};
pub use visibility::ChainLink;
