//! Memoizing correlated subqueries: a correlated subquery whose result depends only on
//! the enclosing-row values it reads (no volatile functions, no user functions, no
//! sequence calls or row locks) gives the same rows for the same values within one
//! statement, so the executor keeps its results by those values and runs it once per
//! distinct combination (PostgreSQL's Memoize does the same for parameterized scans).
//! `x IN (SELECT ... WHERE t.k = o.k)` over many outer rows sharing few `o.k` values
//! then costs a few runs instead of one per row.

use helios_types::{HashableValue, Value};

use crate::expr::Expr;
use crate::planner::{Access, Plan, PlannedQuery};

/// At most this many results are kept per subquery; later combinations run uncached.
pub const MEMO_LIMIT: usize = 16_384;

/// Table functions whose rows depend only on their arguments.
const PURE_TABLE_FUNCTIONS: &[&str] = &[
    "generate_series",
    "generate_subscripts",
    "unnest",
    "regexp_matches",
    "regexp_split_to_table",
];

/// The enclosing-row positions subquery `id` may be memoized by, when it may be.
pub fn memo_key_positions(query: &PlannedQuery, id: usize) -> Option<&[usize]> {
    let sub = query.subqueries.get(id)?;
    let refs = sub.outer_refs.as_deref()?;
    (sub.correlated && plan_is_pure(query, &sub.plan, 0)).then_some(refs)
}

/// The memo key of an evaluation: the enclosing row's values at `positions`.
pub fn memo_key(positions: &[usize], outer: &[Value]) -> Vec<HashableValue> {
    positions.iter().map(|&p| exact(outer.get(p).unwrap_or(&Value::Null))).collect()
}

/// A key under which two values are equal only when the subquery cannot tell them apart.
/// Comparison equality is looser for some types: `1.0 = 1.00`, `0 = -0`,
/// `'1 day' = '24 hours'`, and a subquery that prints or casts its input sees the
/// difference; those values are keyed by their text form (a position of the key always
/// holds values of one type, so texts of different types never meet).
fn exact(v: &Value) -> HashableValue {
    match v {
        Value::Numeric(_)
        | Value::Float4(_)
        | Value::Float8(_)
        | Value::Interval(_)
        | Value::Json(_)
        | Value::Jsonb(_)
        | Value::Array(_)
        | Value::Vector(_) => HashableValue(Value::Text(v.to_pg_text())),
        other => HashableValue(other.clone()),
    }
}

/// Whether a plan's result depends only on its inputs' values (nested subqueries
/// included, to a bounded depth).
pub(crate) fn plan_is_pure(query: &PlannedQuery, plan: &Plan, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    let exprs_pure = |es: &mut dyn Iterator<Item = &Expr>| {
        let mut ok = true;
        for e in es {
            ok &= expr_is_pure(query, e, depth);
        }
        ok
    };
    let own = match plan {
        Plan::Sequence { .. }
        | Plan::LockRows { .. }
        | Plan::WorkTable { .. }
        | Plan::RecursiveUnion { .. } => return false,
        Plan::Empty { .. } | Plan::SetOp { .. } | Plan::CteScan { .. } | Plan::Append { .. } => {
            true
        }
        Plan::Values { rows, .. } => exprs_pure(&mut rows.iter().flatten()),
        Plan::Scan { filter, access, .. } => {
            let range = match access {
                Access::Full => None,
                Access::Primary(r) | Access::Index { range: r, .. } => Some(r),
                Access::Vector(_) => return false,
            };
            let bounds = range
                .into_iter()
                .flat_map(|r| r.eq.iter().chain(bound_expr(&r.lower)).chain(bound_expr(&r.upper)));
            exprs_pure(&mut filter.iter().chain(bounds))
        }
        Plan::Filter { predicate, .. } => expr_is_pure(query, predicate, depth),
        Plan::Project { exprs, .. } => exprs_pure(&mut exprs.iter()),
        Plan::Aggregate { group_by, aggs, .. } => {
            let calls = aggs.iter().flat_map(|c| {
                c.args.iter().chain(&c.filter).chain(c.order_by.iter().map(|s| &s.expr))
            });
            exprs_pure(&mut group_by.iter().chain(calls))
        }
        Plan::Window { calls, .. } => exprs_pure(&mut calls.iter().flat_map(|c| {
            c.args
                .iter()
                .chain(&c.filter)
                .chain(&c.partition_by)
                .chain(c.order_by.iter().map(|s| &s.expr))
        })),
        Plan::Join { on, equi, .. } => {
            exprs_pure(&mut on.iter().chain(equi.iter().flat_map(|(a, b)| [a, b])))
        }
        Plan::Sort { keys, .. } => exprs_pure(&mut keys.iter().map(|k| &k.expr)),
        Plan::Limit { limit, offset, .. } => exprs_pure(&mut limit.iter().chain(offset)),
        Plan::Distinct { on, .. } => exprs_pure(&mut on.iter().flatten()),
        Plan::TableFunction { func, .. } => {
            (func.func.is_pure() || PURE_TABLE_FUNCTIONS.contains(&func.func.name()))
                && exprs_pure(&mut func.args.iter())
        }
    };
    own && plan.inputs().into_iter().all(|p| plan_is_pure(query, p, depth))
}

fn bound_expr(b: &std::ops::Bound<Expr>) -> Option<&Expr> {
    match b {
        std::ops::Bound::Included(e) | std::ops::Bound::Excluded(e) => Some(e),
        std::ops::Bound::Unbounded => None,
    }
}

fn expr_is_pure(query: &PlannedQuery, e: &Expr, depth: usize) -> bool {
    let mut ok = true;
    e.walk(&mut |n| match n {
        Expr::Function { func, .. } => ok &= !func.volatile,
        Expr::UserCall(_) => ok = false,
        Expr::Subquery { id, .. } => {
            ok &= query
                .subqueries
                .get(id.0 as usize)
                .is_some_and(|s| plan_is_pure(query, &s.plan, depth + 1));
        }
        _ => {}
    });
    ok
}
