//! The execution context of one statement: transaction, parameters, subqueries, WITH
//! results, cancellation.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use helios_common::{Error, Result, SqlState};
use helios_storage::Transaction;
use helios_types::{hash_family, HashableValue, Value};

use crate::expr::{EvalContext, Expr, SessionInfo, SubqueryId, SubqueryProbe, SubqueryResult};
use crate::planner::PlannedQuery;

/// One row of values.
pub type Row = Vec<Value>;

/// A map keyed by plan-assigned ids. Its hasher has fixed keys, so an empty map costs
/// nothing to create (a context is built per statement, most of its maps stay empty).
pub(super) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<DefaultHasher>>;

/// Sequence state for `nextval` / `currval` / `setval` (kept by the session: increments
/// are not transactional, `currval` is per session).
pub trait SequenceAccess {
    /// Advances the sequence and returns the new value.
    fn next(&self, sequence: u32) -> Result<i64>;
    /// The value `nextval` last returned for it in this session (55000 when none).
    fn current(&self, sequence: u32) -> Result<i64>;
    /// Sets the value; with `is_called = false` the next `nextval` returns `value`.
    fn set(&self, sequence: u32, value: i64, is_called: bool) -> Result<i64>;
}

/// What operators and expressions need while a statement runs.
pub struct ExecCtx<'t> {
    /// The transaction.
    pub txn: &'t Transaction,
    /// Parameter values (`$1` is index 0).
    pub params: &'t [Value],
    /// Session facts.
    pub session: &'t SessionInfo,
    /// The transaction's start time (microseconds since 2000-01-01 UTC).
    pub now: i64,
    /// The query whose subqueries and WITH queries expressions refer to.
    pub query: &'t PlannedQuery,
    /// Set by another thread to cancel the statement.
    pub cancel: &'t AtomicBool,
    /// Sequence access, when the statement may call sequence functions.
    pub sequences: Option<&'t dyn SequenceAccess>,
    /// The routine runtime, when the statement may call user functions.
    pub routines: Option<&'t dyn super::RoutineHost>,
    pub(super) ctes: RefCell<IdMap<usize, Rc<Vec<Row>>>>,
    pub(super) work: RefCell<IdMap<usize, Rc<Vec<Row>>>>,
    subquery_cache: RefCell<IdMap<u32, Rc<Vec<Row>>>>,
    /// Hashes of uncorrelated subqueries' rows for `IN` / `NOT IN`, built on first use.
    subquery_hashes: RefCell<IdMap<u32, Rc<RowHash>>>,
    /// Per correlated subquery, the enclosing-row positions its results are memoized by
    /// (`None`: not memoized), decided on first use.
    memo_positions: RefCell<IdMap<u32, Option<Rc<[usize]>>>>,
    /// Memoized results of correlated subqueries, by the values at those positions.
    memo: RefCell<IdMap<u32, MemoTable>>,
}

/// One correlated subquery's memoized results, by the enclosing values it reads.
type MemoTable = HashMap<Vec<HashableValue>, Rc<Vec<Row>>>;

/// The rows of an uncorrelated subquery hashed for membership tests.
#[derive(Debug)]
struct RowHash {
    empty: bool,
    /// The rows without NULLs.
    keys: HashSet<Vec<HashableValue>>,
    /// The rows with a NULL somewhere.
    with_nulls: Rc<Vec<Row>>,
    /// Per column, the one type family of its non-NULL values (`None`: no such value);
    /// `None` overall when a column mixes families (the hash cannot compare those).
    families: Option<Vec<Option<u8>>>,
}

impl RowHash {
    fn build(rows: &[Row]) -> RowHash {
        let width = rows.first().map_or(0, Vec::len);
        let mut families: Option<Vec<Option<u8>>> = Some(vec![None; width]);
        let mut keys = HashSet::with_capacity(rows.len());
        let mut with_nulls = Vec::new();
        for r in rows {
            if let Some(fams) = families.as_mut() {
                for (slot, v) in fams.iter_mut().zip(r) {
                    if v.is_null() {
                        continue;
                    }
                    let f = hash_family(v);
                    match slot {
                        None => *slot = Some(f),
                        Some(g) if *g == f => {}
                        Some(_) => {
                            families = None;
                            break;
                        }
                    }
                }
            }
            if r.iter().any(Value::is_null) {
                with_nulls.push(r.clone());
            } else {
                keys.insert(r.iter().cloned().map(HashableValue).collect());
            }
        }
        RowHash { empty: rows.is_empty(), keys, with_nulls: Rc::new(with_nulls), families }
    }

    /// Looks up `left`; `None` when its types are not those the hash holds.
    fn probe(&self, left: &[Value]) -> Option<SubqueryProbe> {
        let families = self.families.as_ref()?;
        if !self.empty {
            if families.len() != left.len() {
                return None;
            }
            let comparable =
                left.iter().zip(families).all(|(v, f)| f.is_none_or(|f| f == hash_family(v)));
            if !comparable {
                return None;
            }
        }
        let key: Vec<HashableValue> = left.iter().cloned().map(HashableValue).collect();
        Some(SubqueryProbe {
            empty: self.empty,
            found: self.keys.contains(&key),
            rows_with_nulls: self.with_nulls.clone(),
        })
    }
}

impl std::fmt::Debug for ExecCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecCtx").field("params", &self.params).finish_non_exhaustive()
    }
}

impl<'t> ExecCtx<'t> {
    /// A context for running `query`.
    pub fn new(
        txn: &'t Transaction,
        params: &'t [Value],
        session: &'t SessionInfo,
        now: i64,
        query: &'t PlannedQuery,
        cancel: &'t AtomicBool,
    ) -> ExecCtx<'t> {
        ExecCtx {
            txn,
            params,
            session,
            now,
            query,
            cancel,
            sequences: None,
            routines: None,
            ctes: RefCell::default(),
            work: RefCell::default(),
            subquery_cache: RefCell::default(),
            subquery_hashes: RefCell::default(),
            memo_positions: RefCell::default(),
            memo: RefCell::default(),
        }
    }

    /// A context for another query of the same statement (e.g. RETURNING).
    pub fn with_query<'q>(&self, query: &'q PlannedQuery) -> ExecCtx<'q>
    where
        't: 'q,
    {
        let mut ctx =
            ExecCtx::new(self.txn, self.params, self.session, self.now, query, self.cancel);
        ctx.sequences = self.sequences;
        ctx.routines = self.routines;
        ctx
    }

    /// The same context with the routine runtime.
    pub fn with_routines(mut self, routines: Option<&'t dyn super::RoutineHost>) -> ExecCtx<'t> {
        self.routines = routines;
        self
    }

    /// The same context with sequence access.
    pub fn with_sequences(mut self, sequences: Option<&'t dyn SequenceAccess>) -> ExecCtx<'t> {
        self.sequences = sequences;
        self
    }

    /// Fails with 57014 when the statement was cancelled.
    pub fn check_cancel(&self) -> Result<()> {
        check_cancel(self.cancel)
    }

    /// Evaluates `e` on `row` followed by the enclosing row `outer`.
    pub fn eval(&self, e: &Expr, row: &[Value], outer: &[Value]) -> Result<Value> {
        // A parameter that arrived with its type (every value of a prepared INSERT) is
        // cloned here, without entering the evaluator.
        if let Expr::Param(i, ty) = e {
            if let Some(v) = self.params.get(*i).filter(|v| crate::expr::has_type(v, ty)) {
                return Ok(v.clone());
            }
        }
        if outer.is_empty() {
            e.eval(row, self)
        } else {
            let mut full = Vec::with_capacity(row.len() + outer.len());
            full.extend_from_slice(row);
            full.extend_from_slice(outer);
            e.eval(&full, self)
        }
    }

    /// Evaluates a condition: only TRUE passes (NULL and FALSE do not).
    pub fn eval_true(&self, e: &Expr, row: &[Value], outer: &[Value]) -> Result<bool> {
        Ok(matches!(self.eval(e, row, outer)?, Value::Bool(true)))
    }

    fn run_subquery(&self, id: SubqueryId, outer: &[Value]) -> Result<Rc<Vec<Row>>> {
        let sub = self
            .query
            .subqueries
            .get(id.0 as usize)
            .ok_or_else(|| Error::internal(format!("unknown subquery {}", id.0)))?;
        if !sub.correlated {
            if let Some(rows) = self.subquery_cache.borrow().get(&id.0) {
                return Ok(rows.clone());
            }
            let rows = Rc::new(super::execute(&sub.plan, self, &[])?);
            self.subquery_cache.borrow_mut().insert(id.0, rows.clone());
            return Ok(rows);
        }
        let positions = self.memo_positions.borrow().get(&id.0).cloned();
        let positions = match positions {
            Some(p) => p,
            None => {
                let p = super::subquery_memo::memo_key_positions(self.query, id.0 as usize)
                    .map(Rc::from);
                self.memo_positions.borrow_mut().insert(id.0, p.clone());
                p
            }
        };
        let Some(positions) = positions else {
            return Ok(Rc::new(super::execute(&sub.plan, self, outer)?));
        };
        let key = super::subquery_memo::memo_key(&positions, outer);
        if let Some(rows) = self.memo.borrow().get(&id.0).and_then(|m| m.get(&key)) {
            return Ok(rows.clone());
        }
        let rows = Rc::new(super::execute(&sub.plan, self, outer)?);
        let mut memo = self.memo.borrow_mut();
        let entries = memo.entry(id.0).or_default();
        if entries.len() < super::subquery_memo::MEMO_LIMIT {
            entries.insert(key, rows.clone());
        }
        Ok(rows)
    }
}

impl EvalContext for ExecCtx<'_> {
    fn subquery(&self, id: SubqueryId, row: &[Value]) -> Result<SubqueryResult> {
        Ok(SubqueryResult { rows: self.run_subquery(id, row)? })
    }

    fn subquery_probe(
        &self,
        id: SubqueryId,
        row: &[Value],
        left: &[Value],
    ) -> Result<Option<SubqueryProbe>> {
        let correlated = self.query.subqueries.get(id.0 as usize).is_none_or(|s| s.correlated);
        if correlated {
            return Ok(None);
        }
        let cached = self.subquery_hashes.borrow().get(&id.0).cloned();
        let hash = match cached {
            Some(h) => h,
            None => {
                let rows = self.run_subquery(id, row)?;
                let h = Rc::new(RowHash::build(&rows));
                self.subquery_hashes.borrow_mut().insert(id.0, h.clone());
                h
            }
        };
        Ok(hash.probe(left))
    }

    fn param(&self, i: usize) -> &Value {
        self.params.get(i).unwrap_or(&Value::Null)
    }

    fn now(&self) -> i64 {
        self.now
    }

    fn session(&self) -> &SessionInfo {
        self.session
    }

    fn transaction(&self) -> Option<&Transaction> {
        Some(self.txn)
    }

    fn cancel_flag(&self) -> Option<&AtomicBool> {
        Some(self.cancel)
    }

    fn call_routine(
        &self,
        func: &std::sync::Arc<crate::catalog::FunctionDef>,
        args: Vec<Value>,
    ) -> Result<Vec<Row>> {
        match self.routines {
            Some(r) => r.call(super::TxnRef::Read(self.txn), func, args),
            None => {
                Err(Error::unsupported(format!("calling function {} in this context", func.name)))
            }
        }
    }
}

/// Fails with 57014 (`canceling statement due to user request`) once `cancel` is set.
pub fn check_cancel(cancel: &AtomicBool) -> Result<()> {
    if cancel.load(Ordering::Relaxed) {
        return Err(Error::new(
            SqlState::QUERY_CANCELED,
            "canceling statement due to user request",
        ));
    }
    Ok(())
}
