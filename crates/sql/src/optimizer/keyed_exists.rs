//! Hashed EXISTS: a correlated `[NOT] EXISTS` that could not become a join (it sits
//! under OR, NOT or CASE, or in a select list) but is correlated through equalities
//! only becomes a lookup in a hash of an uncorrelated subquery's rows, built once
//! (PostgreSQL turns such an EXISTS into a hashed `= ANY` subplan the same way).
//!
//! ```text
//!   EXISTS (SELECT 1 FROM k WHERE k.a = o.x AND k.b = o.y + 1 AND k.c > 0)
//!     => (o.x, o.y + 1) found among (SELECT k.a, k.b FROM k WHERE k.c > 0)
//! ```
//!
//! The lookup keeps EXISTS semantics: a NULL key matches nothing (`=` is never true
//! with a NULL), so the test is TRUE or FALSE, never NULL. Only key types whose hash
//! equality is exactly SQL `=` qualify (integers, text, bool, bytea, date, uuid, each
//! side of the same type), and the same conditions as for [`super::decorrelate`] hold:
//! below its WHERE the subquery reads nothing of the enclosing rows and has nothing
//! volatile; above it only a projection, sort or DISTINCT.

use helios_types::DataType;

use super::conjuncts::{join, split};
use super::decorrelate::{expr_reads_outside, movable, plan_reads_outside};
use super::map_inputs;
use crate::expr::{BinaryOp, Expr, SubqueryId, SubqueryTest};
use crate::planner::rewrite::{shift_columns, transform};
use crate::planner::{Field, Plan, PlannedQuery, SubqueryPlan};

/// Rewrites the EXISTS tests of every plan of the query that qualify.
pub fn apply(query: &mut PlannedQuery) {
    let mut added = Vec::new();
    let base = query.subqueries.len();
    for id in 0..base {
        let plan = std::mem::replace(&mut query.subqueries[id].plan, Plan::Empty { rows: 0 });
        let plan = rewrite(plan, query, base, &mut added);
        query.subqueries[id].plan = plan;
    }
    for i in 0..query.ctes.len() {
        let plan = std::mem::replace(&mut query.ctes[i], Plan::Empty { rows: 0 });
        query.ctes[i] = rewrite(plan, query, base, &mut added);
    }
    let plan = std::mem::replace(&mut query.plan, Plan::Empty { rows: 0 });
    query.plan = rewrite(plan, query, base, &mut added);
    query.subqueries.extend(added);
}

/// Rewrites the tests in the conditions and projections of `plan`; new subqueries go to
/// `added` (numbered from `base`).
fn rewrite(plan: Plan, query: &PlannedQuery, base: usize, added: &mut Vec<SubqueryPlan>) -> Plan {
    let plan = map_inputs(plan, &mut |p| rewrite(p, query, base, added));
    let mut keyed = |e: &mut Expr| {
        transform(e, &mut |n| {
            let Expr::Subquery { id, kind: SubqueryTest::Exists { negated }, .. } = n else {
                return None;
            };
            let (plan, keys) = lookup(query, *id)?;
            let id = SubqueryId(u32::try_from(base + added.len()).ok()?);
            added.push(SubqueryPlan { plan, correlated: false, outer_refs: None });
            Some(Expr::Subquery {
                id,
                kind: SubqueryTest::ExistsKeys { keys, negated: *negated },
                ty: DataType::Bool,
            })
        });
    };
    match plan {
        Plan::Filter { input, mut predicate } => {
            keyed(&mut predicate);
            Plan::Filter { input, predicate }
        }
        Plan::Project { input, mut exprs, schema } => {
            exprs.iter_mut().for_each(&mut keyed);
            Plan::Project { input, exprs, schema }
        }
        Plan::Join { left, right, kind, on: Some(mut on), equi, lateral, schema } => {
            keyed(&mut on);
            Plan::Join { left, right, kind, on: Some(on), equi, lateral, schema }
        }
        other => other,
    }
}

/// For an EXISTS subquery correlated through equalities only: the uncorrelated plan of
/// the values those equalities compare, and the enclosing side of each (over the row
/// the test is evaluated on, followed by its enclosing row).
fn lookup(query: &PlannedQuery, id: SubqueryId) -> Option<(Plan, Vec<Expr>)> {
    let sub = query.subqueries.get(id.0 as usize)?;
    if !sub.correlated {
        return None;
    }
    let mut node = &sub.plan;
    let mut projected = false;
    loop {
        node = match node {
            Plan::Sort { input, limit: None, .. } | Plan::Distinct { input, on: None } => input,
            Plan::Project { input, .. } if !projected => {
                projected = true;
                input
            }
            _ => break,
        };
    }
    let Plan::Filter { input: f_plan, predicate } = node else {
        return None;
    };
    let fw = f_plan.width();
    if plan_reads_outside(query, f_plan, 0)
        || !crate::exec::subquery_memo::plan_is_pure(query, f_plan, 0)
    {
        return None;
    }
    let mut parts = Vec::new();
    split(predicate.clone(), &mut parts);
    let (mut local, mut inner, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for c in parts {
        if !expr_reads_outside(query, &c, fw) {
            local.push(c);
            continue;
        }
        let Expr::Binary { op: BinaryOp::Eq, left, right, .. } = &c else {
            return None;
        };
        if !movable(&c) || left.data_type() != right.data_type() {
            return None;
        }
        if !super::hash_join::exact_key(&left.data_type(), &right.data_type()) {
            return None;
        }
        let (i, mut o) = match (side(left, fw), side(right, fw)) {
            (Some(true), Some(false)) => ((**left).clone(), (**right).clone()),
            (Some(false), Some(true)) => ((**right).clone(), (**left).clone()),
            _ => return None,
        };
        shift_columns(&mut o, fw, -(fw as isize));
        inner.push(i);
        keys.push(o);
    }
    if keys.is_empty() {
        return None;
    }
    let input = match join(local) {
        Some(p) => Plan::Filter { input: f_plan.clone(), predicate: p },
        None => (**f_plan).clone(),
    };
    let schema = inner.iter().map(|e| Field::new("?column?", e.data_type())).collect();
    Some((Plan::Project { input: Box::new(input), exprs: inner, schema }, keys))
}

/// `Some(true)` when `e` reads only the subquery's own row (`fw` wide), `Some(false)`
/// when it reads only enclosing rows, `None` when both or neither.
fn side(e: &Expr, fw: usize) -> Option<bool> {
    let (mut own, mut outside) = (false, false);
    e.walk(&mut |n| {
        if let Expr::Column(i, _) = n {
            own |= *i < fw;
            outside |= *i >= fw;
        }
    });
    match (own, outside) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}
