//! The HeliosDB Nano test kit: runs SQL test files against an engine and counts what
//! passes.
//!
//! This crate is a test tool (`publish = false`); nothing in the database depends on it.
//!
//! # The pieces
//!
//! ```text
//!   .slt / .test file ──► preprocess ──► sqllogictest::parse ──► records
//!                                                                  │
//!   runner::run_file: one record at a time through sqllogictest::Runner
//!                                                                  │
//!                     SltDb (sqllogictest::DB) ── formats values ──┘
//!                        │
//!                     GuardedEngine: a worker thread with a per-statement timeout
//!                        │           and panic capture
//!                     Engine: heliosdb-nano (memory / disk) or a real PostgreSQL
//! ```
//!
//! - [`engine`]: the [`Engine`](engine::Engine) trait a SQL session implements, and its
//!   output and error types.
//! - [`format`]: how values become result text (PostgreSQL text output for our own
//!   corpus; the SQLite corpus conventions `I`/`R`/`T`, `NULL`, `(empty)`).
//! - [`preprocess`]: source fixes the parser needs for the SQLite corpus (comments on
//!   condition lines, conditional `halt`).
//! - [`guard`]: runs an engine on its own thread so a hang or a panic is reported, not
//!   fatal.
//! - [`slt_db`]: the adapter between an engine and the `sqllogictest` crate.
//! - [`runner`]: runs a file record by record and reports per-record pass/fail.
//! - [`baseline`]: the committed per-file pass counts that may only go up.
//! - [`random_query`]: a small random SQL generator over a fixed schema.
//! - [`nano`]: the `heliosdb-nano` engine (memory and disk).
//! - `postgres` (feature `postgres`): a real PostgreSQL server, to verify the corpus.

pub mod baseline;
pub mod corpus;
pub mod engine;
pub mod format;
pub mod guard;
pub mod harness;
pub mod nano;
pub mod preprocess;
pub mod random_query;
pub mod runner;
pub mod slt_db;

#[cfg(feature = "postgres")]
pub mod postgres_engine;

pub use engine::{Engine, EngineError, EngineOutput};
pub use format::OutputStyle;
pub use runner::{FileReport, RunOptions};
