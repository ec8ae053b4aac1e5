//! The executor: runs a [`crate::planner::Plan`] inside the session's storage
//! transaction.
//!
//! Scans, filters, projections, non-LATERAL joins (probe side) and LIMIT stream: they
//! pass rows one at a time to their consumer ([`stream`]), so a LIMIT stops the scan
//! below it and an aggregate over a join holds no joined rows. Operators that must see
//! all their input (aggregate groups, hash join build side, window, set operations)
//! hold it in memory; a sort without a limit holds at most `work_mem` and merges sorted
//! runs from temporary files beyond it ([`external_sort`]). Scans decode only the columns the plan reads (see
//! the optimizer's column pruning). An aggregate whose group keys read only the build
//! side of the inner hash join below it and whose arguments read only the probe side
//! runs fused with the join ([`join_aggregate`]), building one joined row per group
//! instead of one per match. Expressions of a correlated subquery are evaluated on the
//! subquery's row followed by the enclosing row (see [`crate::binder`]), which
//! [`ExecCtx::eval`] appends.

mod aggregate;
mod context;
mod direct_insert;
mod dml;
pub mod external_sort;
pub mod fk_check;
mod join;
mod join_aggregate;
mod join_index;
pub mod kept_rows;
mod keyed;
mod merge;
mod operators;
mod partition_dml;
pub mod pg_sort;
pub mod progress_relation;
pub mod routines;
mod row_locks;
pub mod row_spill;
mod row_writer;
mod scan;
pub mod sequence_relation;
mod setop;
mod sort;
mod stream;
pub(crate) mod subquery_memo;
pub mod system_rows;
pub mod table_io;
mod time_travel;
pub mod vector_entries;
pub mod vector_index;
mod vector_scan;
mod window;
mod window_frame;

pub use context::{check_cancel, ExecCtx, Row, SequenceAccess};
pub use direct_insert::{direct_row, fits_type, insert_row, RowSource};
pub use dml::{
    execute_delete, execute_insert, execute_update, unique_key_detail, DmlOutcome, WriteEnv,
};
pub use merge::execute_merge;
pub use operators::execute;
pub use routines::{
    transition_rows, with_transition, RoutineHost, TransitionRows, TriggerEvent, TxnRef,
};
pub use row_writer::RowLayout;
pub use sort::compare_rows;
pub use stream::{for_each as execute_each, for_each_lent as execute_each_lent};
