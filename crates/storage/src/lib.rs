//! Storage of HeliosDB Nano: ordered key-value engines below, MVCC transactions,
//! branches, time travel and encryption at rest above them. Nothing here knows SQL.
//!
//! ```text
//!   helios-sql ──▶ Transaction (mvcc) ──▶ kv::Engine ──▶ MemoryEngine | DiskEngine (redb)
//! ```

pub mod crypto;
pub mod kv;
