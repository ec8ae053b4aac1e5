//! The executor: runs a [`crate::planner::Plan`] inside the session's storage
//! transaction.
//!
//! Each operator pulls the rows of its inputs and produces its own; operators that must
//! see all their input (sort, aggregate, hash join build side, set operations) hold it in
//! memory. Expressions of a correlated subquery are evaluated on the subquery's row
//! followed by the enclosing row (see [`crate::binder`]), which [`ExecCtx::eval`] appends.

mod aggregate;
mod context;
mod dml;
mod join;
mod operators;
mod row_writer;
mod scan;
mod setop;
mod sort;
pub mod table_io;
mod time_travel;
pub mod vector_index;
mod vector_scan;
mod window;

pub use context::{ExecCtx, Row, SequenceAccess};
pub use dml::{execute_delete, execute_insert, execute_update, DmlOutcome, WriteEnv};
pub use operators::execute;
pub use sort::compare_rows;
