//! A select list without FROM (`SELECT f(1)`) evaluated with a writable transaction,
//! so that the functions it calls may write: calls borrow the transaction exclusively,
//! subqueries share it, one at a time.

use std::cell::RefCell;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use helios_common::{Error, Result};
use helios_storage::Transaction;
use helios_types::Value;

use crate::catalog::FunctionDef;
use crate::exec::{ExecCtx, Row, TxnRef, WriteEnv};
use crate::expr::{EvalContext, Expr, SessionInfo, SubqueryId, SubqueryResult};
use crate::planner::{Plan, PlannedQuery};

/// Whether `query` is a select list without FROM that calls a user function.
pub fn applies(query: &PlannedQuery) -> bool {
    let exprs: Vec<&Expr> = match &query.plan {
        Plan::Project { input, exprs, .. } => match input.as_ref() {
            Plan::Empty { .. } => exprs.iter().collect(),
            Plan::Values { rows, .. } => rows.iter().flatten().chain(exprs.iter()).collect(),
            _ => return false,
        },
        Plan::Values { rows, .. } => rows.iter().flatten().collect(),
        _ => return false,
    };
    let mut calls = false;
    for e in exprs {
        e.walk(&mut |n| calls |= matches!(n, Expr::UserCall(_)));
    }
    calls
}

struct MutCtx<'r, 'x> {
    txn: RefCell<&'x mut Transaction>,
    env: &'r WriteEnv<'r>,
    params: &'x [Value],
    query: &'x PlannedQuery,
}

impl EvalContext for MutCtx<'_, '_> {
    fn subquery(&self, id: SubqueryId, row: &[Value]) -> Result<SubqueryResult> {
        let txn = self.txn.try_borrow().map_err(|_| Error::internal("transaction in use"))?;
        let ctx = ExecCtx::new(
            &txn,
            self.params,
            self.env.session,
            self.env.now,
            self.query,
            self.env.cancel,
        )
        .with_sequences(self.env.sequences)
        .with_routines(self.env.routines);
        ctx.subquery(id, row)
    }

    fn param(&self, i: usize) -> &Value {
        self.params.get(i).unwrap_or(&Value::Null)
    }

    fn now(&self) -> i64 {
        self.env.now
    }

    fn session(&self) -> &SessionInfo {
        self.env.session
    }

    fn cancel_flag(&self) -> Option<&AtomicBool> {
        Some(self.env.cancel)
    }

    fn call_routine(&self, func: &Arc<FunctionDef>, args: Vec<Value>) -> Result<Vec<Row>> {
        let mut txn =
            self.txn.try_borrow_mut().map_err(|_| Error::internal("transaction in use"))?;
        let rt = self.env.routines.ok_or_else(|| Error::internal("no routine runtime"))?;
        rt.call(TxnRef::Write(&mut txn), func, args)
    }
}

/// Evaluates a query [`applies`] accepts.
pub fn run(
    env: &WriteEnv<'_>,
    txn: &mut Transaction,
    query: &PlannedQuery,
    params: &[Value],
) -> Result<Vec<Row>> {
    let ctx = MutCtx { txn: RefCell::new(txn), env, params, query };
    let eval_rows = |rows: &[Vec<Expr>]| -> Result<Vec<Row>> {
        rows.iter().map(|r| r.iter().map(|e| e.eval(&[], &ctx)).collect()).collect()
    };
    match &query.plan {
        Plan::Project { input, exprs, .. } => {
            let inputs = match input.as_ref() {
                Plan::Empty { rows } => vec![Vec::new(); *rows],
                Plan::Values { rows, .. } => eval_rows(rows)?,
                _ => return Err(Error::internal("not a select list without FROM")),
            };
            inputs.iter().map(|row| exprs.iter().map(|e| e.eval(row, &ctx)).collect()).collect()
        }
        Plan::Values { rows, .. } => eval_rows(rows),
        _ => Err(Error::internal("not a select list without FROM")),
    }
}
