//! What a routine body needs from whoever runs it: run one SQL statement with
//! parameters, mark and undo writes (PL/pgSQL exception blocks), report notices.
//!
//! Two hosts exist: [`RuntimeHost`] runs statements with the binder and executor
//! directly (functions called from expressions, triggers); the session runs `DO`
//! blocks and procedures itself, so they may also run DDL.

use helios_common::{Error, Result, SqlState};
use helios_storage::Savepoint;
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::Runtime;
use crate::exec::{self, ExecCtx, Row, TxnRef};
use crate::session::{bind_statement, Bound, CursorAccess};

/// The result of one statement run by a routine.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Result columns (empty for a command without RETURNING).
    pub columns: Vec<(String, DataType)>,
    /// Result rows.
    pub rows: Vec<Row>,
    /// Rows returned or affected (`ROW_COUNT`).
    pub count: u64,
}

/// The level of a `RAISE` that does not end the routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    /// DEBUG.
    Debug,
    /// LOG.
    Log,
    /// INFO.
    Info,
    /// NOTICE.
    Notice,
    /// WARNING.
    Warning,
}

impl NoticeLevel {
    /// The severity word clients show.
    pub fn name(self) -> &'static str {
        match self {
            NoticeLevel::Debug => "DEBUG",
            NoticeLevel::Log => "LOG",
            NoticeLevel::Info => "INFO",
            NoticeLevel::Notice => "NOTICE",
            NoticeLevel::Warning => "WARNING",
        }
    }
}

/// A message raised by a routine (`RAISE NOTICE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Severity.
    pub level: NoticeLevel,
    /// SQLSTATE (00000 for notices, 01000 for warnings unless given).
    pub code: String,
    /// The message.
    pub message: String,
    /// DETAIL.
    pub detail: Option<String>,
    /// HINT.
    pub hint: Option<String>,
}

/// Runs the SQL of a routine body.
pub trait StatementHost {
    /// Binds and runs one statement; `params` are `$1..` of the given types.
    fn run(
        &mut self,
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<Outcome>;
    /// Marks the writes so far (the start of a PL/pgSQL block with EXCEPTION).
    fn savepoint(&mut self) -> Result<Savepoint>;
    /// Undoes the writes after `sp`.
    fn rollback_to(&mut self, sp: Savepoint) -> Result<()>;
    /// Forgets `sp`, keeping the writes.
    fn release(&mut self, sp: Savepoint) -> Result<()>;
    /// Reports a notice to the client.
    fn notice(&mut self, n: Notice);
    /// Fails with 57014 when the statement was cancelled.
    fn check_cancel(&self) -> Result<()>;
    /// The columns of a table (`%ROWTYPE`, `%TYPE`), `None` when there is none.
    fn columns_of_table(&self, name: &str) -> Option<Vec<(String, DataType)>>;
    /// The session's cursors (PL/pgSQL `OPEN`, `FETCH`, `MOVE`, `CLOSE`).
    fn cursors(&self) -> Result<CursorAccess<'_>>;
}

/// Runs statements with the binder and executor in the caller's transaction.
pub struct RuntimeHost<'r, 't> {
    /// The runtime.
    pub rt: &'r Runtime<'r>,
    /// The transaction, writable or not.
    pub txn: TxnRef<'t>,
}

impl std::fmt::Debug for RuntimeHost<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeHost").finish_non_exhaustive()
    }
}

fn read_only_call(what: &str) -> Error {
    Error::unsupported(format!("{what} in a function called from a query that reads tables"))
        .with_hint(
        "Call the function as SELECT f(...) without FROM, with PERFORM, CALL, or from a trigger.",
    )
}

fn columns(fields: &[crate::session::Column]) -> Vec<(String, DataType)> {
    fields.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect()
}

impl StatementHost for RuntimeHost<'_, '_> {
    fn run(
        &mut self,
        stmt: &ast::Statement,
        params: &[Value],
        types: &[DataType],
    ) -> Result<Outcome> {
        let rt = self.rt;
        let (bound, _) = bind_statement(rt.catalog, rt.info, stmt, types)?;
        let cols = columns(&bound.columns());
        match &bound {
            Bound::Query { query, .. } => {
                let rows = match self.txn.writable() {
                    Some(txn) if super::no_from_applies(query) => {
                        super::run_no_from(&rt.write_env(params, &[]), txn, query, params)?
                    }
                    _ => {
                        let ctx = ExecCtx::new(
                            self.txn.shared(),
                            params,
                            rt.info,
                            rt.now,
                            query,
                            rt.cancel,
                        )
                        .with_sequences(rt.sequences)
                        .with_routines(Some(rt));
                        exec::execute(&query.plan, &ctx, &[])?
                    }
                };
                Ok(Outcome { columns: cols, count: rows.len() as u64, rows })
            }
            Bound::Insert(ins, checks) => {
                let txn = self.txn.writable().ok_or_else(|| read_only_call("INSERT"))?;
                let env = rt.write_env(params, checks);
                let out = exec::execute_insert(txn, &env, ins)?;
                Ok(Outcome { columns: cols, rows: out.returned, count: out.count })
            }
            Bound::Update(upd, checks) => {
                let txn = self.txn.writable().ok_or_else(|| read_only_call("UPDATE"))?;
                let env = rt.write_env(params, checks);
                let out = exec::execute_update(txn, &env, upd)?;
                Ok(Outcome { columns: cols, rows: out.returned, count: out.count })
            }
            Bound::Delete(del) => {
                let txn = self.txn.writable().ok_or_else(|| read_only_call("DELETE"))?;
                let env = rt.write_env(params, &[]);
                let out = exec::execute_delete(txn, &env, del)?;
                Ok(Outcome { columns: cols, rows: out.returned, count: out.count })
            }
            Bound::Merge(m, checks) => {
                let txn = self.txn.writable().ok_or_else(|| read_only_call("MERGE"))?;
                let env = rt.write_env(params, checks);
                let out = exec::execute_merge(txn, &env, m)?;
                Ok(Outcome { columns: cols, rows: out.returned, count: out.count })
            }
            Bound::Explain { .. } | Bound::Utility(_) => Err(Error::unsupported(format!(
                "statement \"{}\" inside a function (run it in a DO block or a procedure)",
                stmt.to_string().split_whitespace().take(2).collect::<Vec<_>>().join(" ")
            ))),
        }
    }

    fn savepoint(&mut self) -> Result<Savepoint> {
        match self.txn.writable() {
            Some(t) => Ok(t.savepoint()),
            // Nothing can be written: a mark of nothing.
            None => Err(Error::new(SqlState::INTERNAL_ERROR, "no writable transaction")),
        }
    }

    fn rollback_to(&mut self, sp: Savepoint) -> Result<()> {
        match self.txn.writable() {
            Some(t) => t.rollback_to(sp),
            None => Ok(()),
        }
    }

    fn release(&mut self, sp: Savepoint) -> Result<()> {
        if let Some(t) = self.txn.writable() {
            t.release_savepoint(sp);
        }
        Ok(())
    }

    fn notice(&mut self, n: Notice) {
        self.rt.notices.lock().push(n);
    }

    fn check_cancel(&self) -> Result<()> {
        crate::exec::check_cancel(self.rt.cancel)
    }

    fn columns_of_table(&self, name: &str) -> Option<Vec<(String, DataType)>> {
        table_columns(self.rt.catalog, &self.rt.info.search_path, name)
    }

    fn cursors(&self) -> Result<CursorAccess<'_>> {
        self.rt.cursors.ok_or_else(|| Error::unsupported("cursors outside a session"))
    }
}

/// The columns of the table named `name` (`schema.name` or along the search path).
pub fn table_columns(
    catalog: &crate::catalog::Catalog,
    search_path: &[String],
    name: &str,
) -> Option<Vec<(String, DataType)>> {
    let (schema, table) = match name.split_once('.') {
        Some((s, t)) => (Some(s), t),
        None => (None, name),
    };
    match catalog.resolve(schema, table, search_path)? {
        (_, crate::catalog::Relation::Table(id)) => {
            let t = catalog.table(id)?;
            Some(t.columns.iter().map(|c| (c.name.clone(), c.data_type.clone())).collect())
        }
        _ => None,
    }
}
