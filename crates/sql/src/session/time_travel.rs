//! [`HeliosCtx`]: what branch and time-travel clauses and functions need from the
//! session while binding and executing: the database, the session's branch, and the
//! evaluation of `AS OF` expressions (which may hold scalar subqueries).
//!
//! `AS OF` expressions are evaluated once, when the statement is bound, in a short
//! read-only transaction on the session's branch at the latest snapshot (so a subquery
//! sees committed data, not the current transaction's uncommitted writes).
//!
//! Commit timestamps are microseconds since the Unix epoch; SQL `timestamptz` values
//! are microseconds since 2000-01-01: [`to_sql_timestamp`] and [`from_sql_timestamp`]
//! convert.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use helios_common::{BranchId, Error, Result, SqlState, Timestamp, TxnId};
use helios_storage::{Transaction, TxnOptions};
use helios_types::{DataType, Value};
use sqlparser::ast;

use crate::binder::Binder;
use crate::catalog::Catalog;
use crate::engine::Engine;
use crate::exec::{self, ExecCtx};
use crate::expr::SessionInfo;
use crate::parser::helios::AsOf;

/// Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A commit timestamp as a SQL `timestamptz` value.
pub fn to_sql_timestamp(ts: Timestamp) -> Value {
    let micros = i64::try_from(ts.as_micros()).unwrap_or(i64::MAX);
    Value::TimestampTz(micros.saturating_sub(PG_EPOCH_MICROS))
}

/// A SQL value (timestamptz, timestamp, or text) as a commit timestamp.
pub fn from_sql_timestamp(v: &Value) -> Result<Timestamp> {
    let v = match v {
        Value::TimestampTz(_) => v.clone(),
        Value::Null => {
            return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "AS OF timestamp is null"))
        }
        other => other.cast(&DataType::TimestampTz)?,
    };
    match v {
        Value::TimestampTz(us) => {
            let unix = us.checked_add(PG_EPOCH_MICROS).filter(|u| *u >= 0).ok_or_else(|| {
                Error::new(SqlState::INVALID_PARAMETER_VALUE, "AS OF timestamp is before 1970")
            })?;
            Ok(Timestamp(unix as u64))
        }
        _ => Err(Error::internal("cast to timestamptz gave another type")),
    }
}

/// The database and branch a session runs on, as seen by the binder and executor.
#[derive(Clone)]
pub struct HeliosCtx {
    /// The database.
    pub engine: Arc<Engine>,
    /// The session's branch.
    pub branch: BranchId,
    /// The session's number in the database's advisory lock table.
    pub session: u64,
}

impl std::fmt::Debug for HeliosCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeliosCtx").field("branch", &self.branch).finish_non_exhaustive()
    }
}

impl PartialEq for HeliosCtx {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.engine, &other.engine) && self.branch == other.branch
    }
}

impl HeliosCtx {
    /// Evaluates one scalar expression (subqueries allowed) on the session's branch.
    pub fn eval_scalar(&self, e: &ast::Expr, info: &SessionInfo) -> Result<Value> {
        let query = crate::parser::parse_query(&format!("SELECT {e}"))?;
        let txn = self.engine.storage.begin(TxnOptions {
            branch: self.branch,
            read_only: true,
            ..TxnOptions::default()
        })?;
        let catalog = self.engine.catalogs.get(&txn)?;
        let mut binder = Binder::new(&catalog, info, Vec::new());
        let planned = binder.bind_top_query(&query)?;
        let planned = crate::optimizer::optimize(planned, &catalog);
        let cancel = AtomicBool::new(false);
        let now = crate::expr::wall_clock_micros();
        let ctx = ExecCtx::new(&txn, &[], info, now, &planned, &cancel);
        let rows = exec::execute(&planned.plan, &ctx, &[])?;
        drop(ctx);
        txn.rollback();
        Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()).unwrap_or(Value::Null))
    }

    /// The commit timestamp an `AS OF` clause names.
    pub fn timestamp_of(&self, as_of: &AsOf, info: &SessionInfo) -> Result<Timestamp> {
        match as_of {
            AsOf::Timestamp(e) => from_sql_timestamp(&self.eval_scalar(e, info)?),
            AsOf::Transaction(e) => {
                let v = self.eval_scalar(e, info)?;
                let id = match v.cast(&DataType::Int8)? {
                    Value::Int8(n) if n > 0 => n as u64,
                    _ => {
                        return Err(Error::new(
                            SqlState::INVALID_PARAMETER_VALUE,
                            format!("invalid transaction id {}", v.to_pg_text()),
                        ))
                    }
                };
                match self.engine.storage.commit_record(TxnId(id))? {
                    Some((ts, _)) => Ok(ts),
                    None => Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("transaction {id} does not exist or was not committed"),
                    )),
                }
            }
        }
    }

    /// A read-only transaction on the session's branch as of `ts` (72000 before the
    /// retention horizon).
    pub fn read_at(&self, ts: Timestamp) -> Result<Transaction> {
        self.engine.storage.begin(TxnOptions {
            branch: self.branch,
            read_only: true,
            as_of: Some(ts),
            ..TxnOptions::default()
        })
    }

    /// The catalog of the session's branch as of `ts`.
    pub fn catalog_at(&self, ts: Timestamp) -> Result<Arc<Catalog>> {
        let txn = self.read_at(ts)?;
        let catalog = self.engine.catalogs.get(&txn);
        txn.rollback();
        catalog
    }
}

impl super::Session {
    /// Runs one statement in a read-only transaction as of `ts` on the session's branch:
    /// every table is read, and every name resolved, as it was then. Outside a
    /// transaction block only (25001).
    pub fn execute_as_of(
        &mut self,
        sql: &str,
        params: &[Value],
        ts: Timestamp,
    ) -> Result<super::StatementResult> {
        if self.mode != super::Mode::Autocommit || self.txn.is_some() {
            return Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "a query as of a timestamp cannot run inside a transaction block",
            ));
        }
        let txn = self.engine.storage.begin(TxnOptions {
            branch: self.branch,
            read_only: true,
            as_of: Some(ts),
            ..TxnOptions::default()
        })?;
        self.txn = Some(txn);
        self.txn_now = crate::expr::wall_clock_micros();
        let r = self.execute(sql, params);
        if let Some(t) = self.txn.take() {
            t.rollback();
        }
        self.engine.advisory.release(self.id, false, true);
        self.engine.notify.end_transaction(self.id, false);
        self.catalog_memo = None;
        r
    }
}
