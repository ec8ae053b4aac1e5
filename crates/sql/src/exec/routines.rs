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

/// The rows one statement changed in one table, which the AFTER triggers with
/// transition tables (`REFERENCING OLD TABLE AS ... NEW TABLE AS ...`) of that table
/// read while they fire.
#[derive(Debug, Clone)]
pub struct TransitionRows {
    /// The table.
    pub table: u32,
    /// The statement's event.
    pub event: TriggerEvent,
    /// Rows before the change (UPDATE, DELETE).
    pub old: Vec<Row>,
    /// Rows after the change (INSERT, UPDATE).
    pub new: Vec<Row>,
}

thread_local! {
    static TRANSITION: std::cell::RefCell<Vec<TransitionRows>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` (the AFTER triggers of a statement) with `rows` visible to
/// [`transition_rows`].
pub fn with_transition<T>(rows: Option<TransitionRows>, f: impl FnOnce() -> T) -> T {
    // A statement whose table has no transition-table trigger for the event publishes
    // nothing (no trigger of this statement can ask for its rows).
    let Some(rows) = rows else { return f() };
    TRANSITION.with(|t| t.borrow_mut().push(rows));
    let out = f();
    TRANSITION.with(|t| t.borrow_mut().pop());
    out
}

/// The transition rows of the innermost statement on `table` for `event`.
pub fn transition_rows(table: u32, event: TriggerEvent) -> Option<(Vec<Row>, Vec<Row>)> {
    TRANSITION.with(|t| {
        t.borrow()
            .iter()
            .rev()
            .find(|r| r.table == table && r.event == event)
            .map(|r| (r.old.clone(), r.new.clone()))
    })
}

/// Whether `table` has an enabled trigger with transition tables for `event`.
pub fn wants_transition(
    catalog: &crate::catalog::Catalog,
    table: u32,
    event: TriggerEvent,
) -> bool {
    !catalog.triggers.is_empty()
        && catalog.triggers.values().any(|t| {
            t.table == table
                && t.enabled
                && (t.old_table.is_some() || t.new_table.is_some())
                && match event {
                    TriggerEvent::Insert => t.on_insert,
                    TriggerEvent::Update => t.on_update,
                    TriggerEvent::Delete => t.on_delete,
                }
        })
}
