//! The seam between the executor and user-defined routines: what the executor asks of
//! the routine runtime ([`crate::routine`]) when an expression calls a user function
//! or a write fires a trigger.

use std::sync::Arc;

use helios_common::Result;
use helios_storage::Transaction;
use helios_types::Value;

use super::Row;
use crate::catalog::routine_defs::TriggerTiming;
use crate::catalog::{FunctionDef, TableDef};

/// The transaction a routine runs in: read-only when it is called from a query that
/// is reading (its statements may then only read), writable from DML, `CALL`, `DO`,
/// triggers and a select list without FROM.
#[derive(Debug)]
pub enum TxnRef<'t> {
    /// Shared: the caller is reading through the transaction.
    Read(&'t Transaction),
    /// Exclusive: the routine may write.
    Write(&'t mut Transaction),
}

impl TxnRef<'_> {
    /// The transaction, for reading.
    pub fn shared(&self) -> &Transaction {
        match self {
            TxnRef::Read(t) => t,
            TxnRef::Write(t) => t,
        }
    }

    /// The transaction for writing, when the caller allows it.
    pub fn writable(&mut self) -> Option<&mut Transaction> {
        match self {
            TxnRef::Read(_) => None,
            TxnRef::Write(t) => Some(t),
        }
    }

    /// A shorter borrow of the same access.
    pub fn reborrow(&mut self) -> TxnRef<'_> {
        match self {
            TxnRef::Read(t) => TxnRef::Read(t),
            TxnRef::Write(t) => TxnRef::Write(t),
        }
    }
}

/// The kind of row change a trigger sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEvent {
    /// INSERT.
    Insert,
    /// UPDATE.
    Update,
    /// DELETE.
    Delete,
}

impl TriggerEvent {
    /// `TG_OP`.
    pub fn name(self) -> &'static str {
        match self {
            TriggerEvent::Insert => "INSERT",
            TriggerEvent::Update => "UPDATE",
            TriggerEvent::Delete => "DELETE",
        }
    }
}

/// What the executor asks of the routine runtime.
pub trait RoutineHost {
    /// Calls a user function with argument values of its parameter types; returns its
    /// rows (one row of one value for a scalar function).
    fn call(&self, txn: TxnRef<'_>, func: &Arc<FunctionDef>, args: Vec<Value>) -> Result<Vec<Row>>;

    /// Whether `table` has enabled triggers for `event` at `timing` (row level when
    /// `row`): the executor skips the trigger machinery otherwise.
    fn has_triggers(
        &self,
        table: u32,
        event: TriggerEvent,
        timing: TriggerTiming,
        row: bool,
    ) -> bool;

    /// Fires the row triggers of `table` for one row change. BEFORE triggers return the
    /// row to write (possibly changed by them), or `None` when one of them skipped it;
    /// AFTER triggers return the new row unchanged.
    #[allow(clippy::too_many_arguments)]
    fn fire_row(
        &self,
        txn: &mut Transaction,
        table: &TableDef,
        event: TriggerEvent,
        timing: TriggerTiming,
        old: Option<&[Value]>,
        new: Option<Row>,
        update_targets: &[usize],
    ) -> Result<Option<Row>>;

    /// Fires the statement triggers of `table`.
    fn fire_statement(
        &self,
        txn: &mut Transaction,
        table: &TableDef,
        event: TriggerEvent,
        timing: TriggerTiming,
    ) -> Result<()>;
}
