//! [`Runtime`]: calls user functions and fires triggers for one statement.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::Value;

use super::host::{Notice, RuntimeHost};
use super::plpgsql;
use crate::catalog::routine_defs::{Language, Returns, TriggerTiming};
use crate::catalog::{Catalog, FunctionDef, SequenceDef, TableDef};
use crate::exec::{RoutineHost, Row, SequenceAccess, TriggerEvent, TxnRef, WriteEnv};
use crate::expr::{Expr, SessionInfo};

/// How deep routines may call each other before 54001 (PostgreSQL's limit is a stack
/// size; this keeps the Rust stack, grown per call, within a few hundred MB).
pub const MAX_CALL_DEPTH: usize = 200;

/// The routine runtime of one statement.
pub struct Runtime<'a> {
    /// The statement's catalog.
    pub catalog: &'a Catalog,
    /// Session facts.
    pub info: &'a SessionInfo,
    /// The transaction's start time.
    pub now: i64,
    /// The statement's cancel flag.
    pub cancel: &'a AtomicBool,
    /// Sequence functions.
    pub sequences: Option<&'a dyn SequenceAccess>,
    /// Sequence values for serial columns.
    pub nextval: &'a dyn Fn(&SequenceDef) -> Result<i64>,
    /// Hidden row ids.
    pub rowid: &'a dyn Fn() -> i64,
    /// Where notices go (the session hands them to the client).
    pub notices: &'a parking_lot::Mutex<Vec<Notice>>,
    /// The session's cursors (PL/pgSQL `OPEN` / `FETCH` / `CLOSE`); `None` outside a
    /// session.
    pub cursors: Option<crate::session::CursorAccess<'a>>,
    depth: Cell<usize>,
    compiled: RefCell<HashMap<u32, Rc<plpgsql::ast::Function>>>,
    sql_bodies: RefCell<HashMap<u32, Rc<Vec<sqlparser::ast::Statement>>>>,
}

impl std::fmt::Debug for Runtime<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("depth", &self.depth.get()).finish_non_exhaustive()
    }
}

impl<'a> Runtime<'a> {
    /// A runtime for one statement.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        catalog: &'a Catalog,
        info: &'a SessionInfo,
        now: i64,
        cancel: &'a AtomicBool,
        sequences: Option<&'a dyn SequenceAccess>,
        nextval: &'a dyn Fn(&SequenceDef) -> Result<i64>,
        rowid: &'a dyn Fn() -> i64,
        notices: &'a parking_lot::Mutex<Vec<Notice>>,
    ) -> Runtime<'a> {
        Runtime {
            catalog,
            info,
            now,
            cancel,
            sequences,
            nextval,
            rowid,
            notices,
            cursors: None,
            depth: Cell::new(0),
            compiled: RefCell::new(HashMap::new()),
            sql_bodies: RefCell::new(HashMap::new()),
        }
    }

    /// The runtime with access to the session's cursors.
    pub fn with_cursors(mut self, cursors: crate::session::CursorAccess<'a>) -> Runtime<'a> {
        self.cursors = Some(cursors);
        self
    }

    /// The write environment for a DML statement a routine runs.
    pub fn write_env<'e>(
        &'e self,
        params: &'e [Value],
        checks: &'e [(String, Expr)],
    ) -> WriteEnv<'e> {
        WriteEnv {
            catalog: self.catalog,
            nextval: self.nextval,
            rowid: self.rowid,
            checks,
            params,
            session: self.info,
            now: self.now,
            cancel: self.cancel,
            sequences: self.sequences,
            routines: Some(self),
            statement_triggers: true,
        }
    }

    /// The parsed PL/pgSQL body of `func` (parsed once per statement).
    pub(crate) fn compiled(&self, func: &FunctionDef) -> Result<Rc<plpgsql::ast::Function>> {
        if let Some(f) = self.compiled.borrow().get(&func.id) {
            return Ok(f.clone());
        }
        let f = Rc::new(plpgsql::parse::parse_function(&func.body)?);
        self.compiled.borrow_mut().insert(func.id, f.clone());
        Ok(f)
    }

    /// The parsed statements of a SQL function's body (parsed once per statement).
    pub(crate) fn sql_body(
        &self,
        func: &FunctionDef,
    ) -> Result<Rc<Vec<sqlparser::ast::Statement>>> {
        if let Some(b) = self.sql_bodies.borrow().get(&func.id) {
            return Ok(b.clone());
        }
        let b = Rc::new(super::sql_body::parse_body(&func.body)?);
        self.sql_bodies.borrow_mut().insert(func.id, b.clone());
        Ok(b)
    }

    /// Runs `f` one call level deeper: 54001 past [`MAX_CALL_DEPTH`], on a grown stack.
    pub(crate) fn nested<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let depth = self.depth.get();
        if depth >= MAX_CALL_DEPTH {
            return Err(Error::new(SqlState::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded")
                .with_hint("Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate."));
        }
        self.depth.set(depth + 1);
        let r = stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, f);
        self.depth.set(depth);
        r
    }

    fn call_inner(
        &self,
        txn: TxnRef<'_>,
        func: &Arc<FunctionDef>,
        args: Vec<Value>,
    ) -> Result<Vec<Row>> {
        if func.strict && args.iter().any(Value::is_null) {
            return Ok(if func.returns_set() { Vec::new() } else { vec![vec![Value::Null]] });
        }
        match func.language {
            Language::Sql => super::sql_body::call(self, txn, func, args),
            Language::Plpgsql => {
                let body = self.compiled(func)?;
                let mut host = RuntimeHost { rt: self, txn };
                plpgsql::exec::call_function(&body, &mut host, func, args)
            }
        }
    }
}

impl RoutineHost for Runtime<'_> {
    fn call(&self, txn: TxnRef<'_>, func: &Arc<FunctionDef>, args: Vec<Value>) -> Result<Vec<Row>> {
        self.nested(|| self.call_inner(txn, func, args))
    }

    fn has_triggers(
        &self,
        table: u32,
        event: TriggerEvent,
        timing: TriggerTiming,
        row: bool,
    ) -> bool {
        if self.catalog.triggers.is_empty() {
            return false;
        }
        // Row triggers of a partitioned table fire for the rows of its partitions.
        let tables = if row { self.catalog.with_ancestors(table) } else { vec![table] };
        self.catalog.triggers.values().any(|t| {
            tables.contains(&t.table)
                && t.enabled
                && t.timing == timing
                && t.for_each_row == row
                && super::trigger::fires_on(t, event)
        })
    }

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
    ) -> Result<Option<Row>> {
        super::trigger::fire_row(self, txn, table, event, timing, old, new, update_targets)
    }

    fn fire_statement(
        &self,
        txn: &mut Transaction,
        table: &TableDef,
        event: TriggerEvent,
        timing: TriggerTiming,
    ) -> Result<()> {
        super::trigger::fire_statement(self, txn, table, event, timing)
    }
}

/// The value of a scalar call from the rows a body returned, converted to the
/// declared result type.
pub(crate) fn shape_result(func: &FunctionDef, rows: Vec<Row>) -> Result<Vec<Row>> {
    match &func.returns {
        Returns::Void | Returns::Trigger => Ok(vec![vec![Value::Null]]),
        Returns::Scalar(t) => {
            let v = match rows.into_iter().next() {
                Some(r) => row_value(r, t)?,
                None => Value::Null,
            };
            Ok(vec![vec![cast_to(v, t)?]])
        }
        Returns::SetOf(t) => {
            rows.into_iter().map(|r| Ok(vec![cast_to(row_value(r, t)?, t)?])).collect()
        }
        Returns::Table(cols) => rows
            .into_iter()
            .map(|r| {
                if r.len() != cols.len() {
                    return Err(Error::new(
                        SqlState::DATATYPE_MISMATCH,
                        "structure of query does not match function result type",
                    )
                    .with_detail(format!(
                        "Number of returned columns ({}) does not match expected column count ({}).",
                        r.len(),
                        cols.len()
                    )));
                }
                r.into_iter().zip(cols).map(|(v, c)| cast_to(v, &c.data_type)).collect()
            })
            .collect(),
    }
}

/// The value a result row gives a function returning `t`: its one column, or for a
/// composite `t` the columns as the fields of one value.
fn row_value(r: Row, t: &helios_types::DataType) -> Result<Value> {
    if let helios_types::DataType::Record(rt) = t {
        let single = r.len() == 1 && matches!(r[0], Value::Record(_) | Value::Null);
        if !rt.is_anonymous() && !single {
            if r.len() != rt.fields.len() {
                return Err(Error::new(
                    SqlState::DATATYPE_MISMATCH,
                    "function return row and query-specified return row do not match",
                )
                .with_detail(format!(
                    "Returned row contains {} attributes, but query expects {}.",
                    r.len(),
                    rt.fields.len()
                )));
            }
            let fields = r
                .into_iter()
                .zip(&rt.fields)
                .map(|(v, f)| cast_to(v, &f.ty))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Value::Record(std::sync::Arc::new(helios_types::Record::new(
                rt.clone(),
                fields,
            ))));
        }
    }
    Ok(r.into_iter().next().unwrap_or(Value::Null))
}

/// `v` converted to `t` by assignment (NULL stays NULL).
pub(crate) fn cast_to(v: Value, t: &helios_types::DataType) -> Result<Value> {
    if v.is_null()
        || matches!(t, helios_types::DataType::Unknown | helios_types::DataType::Pseudo(_))
        || crate::expr::has_type(&v, t)
    {
        return Ok(v);
    }
    match &v {
        Value::Text(s) => Value::parse_pg_text(s, t),
        _ => v.cast(t),
    }
}
