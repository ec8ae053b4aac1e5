//! Shared building blocks of HeliosDB Nano.
//!
//! Every crate of the workspace depends on this one and nothing here depends on another
//! crate of the workspace. It holds:
//!
//! - [`Error`] and [`Result`]: the one error type that crosses crate boundaries. Each crate
//!   keeps its own error enum and converts it into [`Error`], which knows its PostgreSQL
//!   [`SqlState`] and whether retrying the transaction can help.
//! - [`ids`]: newtypes for ids and timestamps that travel between crates.
//! - [`varint`]: the LEB128 varints of the temporary file formats.

pub mod error;
pub mod ids;
pub mod sqlstate;
pub mod varint;

pub use error::{Error, Result};
pub use ids::{BranchId, IndexId, TableId, Timestamp, TxnId};
pub use sqlstate::SqlState;
