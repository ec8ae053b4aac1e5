//! Decorrelation: a correlated `EXISTS`, `NOT EXISTS` or `IN` subquery AND-ed into a
//! WHERE (or HAVING) condition becomes a semi or anti join, so it runs as one join
//! instead of once per outer row (PostgreSQL's `pull_up_sublinks`).
//!
//! ```text
//!   Filter: EXISTS(SubPlan 1) AND o.z > 0          Filter: o.z > 0
//!     Scan o                              =>        Semi Join  ON t.a = o.x AND t.c <> o.y
//!   SubPlan 1                                         Scan o
//!     Project                                         Filter: t.b > 5
//!       Filter: t.a = o.x AND t.c <> o.y AND t.b > 5    Scan t
//!         Scan t
//! ```
//!
//! The subquery's WHERE conjuncts that read the outer row (`o`) become the join
//! condition; those reading only the subquery's own row (and, maybe, rows further out)
//! stay below as its filter. `NOT EXISTS` gives an anti join, `x IN (SELECT y ...)` a
//! semi join with `x = y` added to the condition: in a WHERE, a NULL comparison rejects
//! the row just as FALSE does, so the join keeps exactly the rows the test accepts.
//!
//! `x NOT IN (SELECT y ...)` (also written `NOT (x IN ...)`) is true only when every
//! subquery row gives `x <> y` TRUE; a NULL on either side makes it NULL, which a WHERE
//! rejects as FALSE. So it is an anti join whose condition counts `x = y` being TRUE
//! *or NULL* as a match: `(x = y) IS NOT FALSE`, one per column of a row `(a, b) NOT
//! IN`. That join is [`JoinKind::NullAwareAnti`], whose hash key on `x = y` finds the
//! NULL rows too (`exec/join.rs`). An empty subquery matches nothing, so every row
//! passes, NULL `x` included, as in PostgreSQL.
//!
//! A subquery is pulled up only when that cannot change the answer:
//!
//! - the test is a top-level conjunct of a `Filter` (never under OR, NOT or CASE), or
//!   of an inner or left join's condition and reads only the right row (it then
//!   restricts the join's right input);
//! - above its WHERE there is only a projection, a sort without LIMIT or a DISTINCT
//!   (no aggregate, LIMIT, window, set operation or row lock): these do not change
//!   whether a row exists;
//! - the plan below its WHERE reads nothing of the enclosing rows (nested subqueries
//!   included) and has no volatile or user-defined functions, so it can run once;
//! - the conjuncts that read enclosing rows hold no subquery and nothing volatile.
//!
//! Other subqueries stay as they are (run per outer row, memoized). Subqueries are
//! handled innermost first, so a `NOT EXISTS` nested in an `EXISTS` becomes a join
//! inside the outer subquery even when the outer one cannot be pulled up itself.
//!
//! Row layouts: the subquery's WHERE is evaluated over `F ++ O ++ R` (its own row `F`,
//! the outer row `O`, the rows further out `R`); the join condition over `O ++ F ++ R`;
//! the join's right input over `F ++ R`.

use super::conjuncts::{has_subquery, join, split};
use super::map_inputs;
use crate::expr::{BinaryOp, Expr, SubqueryTest, UnaryOp};
use crate::planner::rewrite::transform;
use crate::planner::{JoinKind, Plan, PlannedQuery};

/// Pulls up the subqueries of every plan of the query that qualify.
pub fn apply(query: &mut PlannedQuery) {
    // Nested subqueries are bound (and numbered) before the ones holding them.
    for id in 0..query.subqueries.len() {
        let plan = std::mem::replace(&mut query.subqueries[id].plan, Plan::Empty { rows: 0 });
        let plan = rewrite(plan, query);
        query.subqueries[id].plan = plan;
    }
    for i in 0..query.ctes.len() {
        let plan = std::mem::replace(&mut query.ctes[i], Plan::Empty { rows: 0 });
        query.ctes[i] = rewrite(plan, query);
    }
    let plan = std::mem::replace(&mut query.plan, Plan::Empty { rows: 0 });
    query.plan = rewrite(plan, query);
}

/// Rewrites `plan` bottom-up.
fn rewrite(plan: Plan, query: &PlannedQuery) -> Plan {
    match map_inputs(plan, &mut |p| rewrite(p, query)) {
        Plan::Filter { input, predicate } => rewrite_filter(query, input, predicate),
        Plan::Join { left, right, kind, on: Some(on), equi, lateral: false, schema }
            if matches!(kind, JoinKind::Inner | JoinKind::Left) =>
        {
            // A test in the condition that reads only the right row restricts the right
            // input before the join (for LEFT JOIN too: it only decides matches).
            let (lw, rw) = (left.width(), right.width());
            let mut parts = Vec::new();
            split(on.clone(), &mut parts);
            let mut right = *right;
            let mut rest = Vec::new();
            let mut pulled = false;
            for p in parts {
                match pull_up(query, &p, lw, rw) {
                    Some(j) => {
                        right = j.join_onto(right);
                        pulled = true;
                    }
                    None => rest.push(p),
                }
            }
            let on = if pulled { join(rest) } else { Some(on) };
            Plan::Join { left, right: Box::new(right), kind, on, equi, lateral: false, schema }
        }
        other => other,
    }
}

/// Pulls up the tests of a WHERE over `input`.
fn rewrite_filter(query: &PlannedQuery, input: Box<Plan>, predicate: Expr) -> Plan {
    let ow = input.width();
    let mut parts = Vec::new();
    split(predicate.clone(), &mut parts);
    let mut joins = Vec::new();
    let (mut below, mut above) = (Vec::new(), Vec::new());
    for p in parts {
        match pull_up(query, &p, 0, ow) {
            Some(j) => joins.push(j),
            // Conditions with subqueries run after the joins, on the rows they keep.
            None if has_subquery(&p) => above.push(p),
            None => below.push(p),
        }
    }
    if joins.is_empty() {
        return Plan::Filter { input, predicate };
    }
    let mut plan = *input;
    if let Some(p) = join(below) {
        plan = Plan::Filter { input: Box::new(plan), predicate: p };
    }
    for j in joins {
        plan = j.join_onto(plan);
    }
    match join(above) {
        Some(p) => Plan::Filter { input: Box::new(plan), predicate: p },
        None => plan,
    }
}

/// A subquery turned into the right side of a semi or anti join.
struct Pulled {
    right: Plan,
    kind: JoinKind,
    on: Option<Expr>,
}

impl Pulled {
    /// The semi or anti join of `left` with the subquery.
    fn join_onto(self, left: Plan) -> Plan {
        let schema = left.schema();
        Plan::Join {
            left: Box::new(left),
            right: Box::new(self.right),
            kind: self.kind,
            on: self.on,
            equi: Vec::new(),
            lateral: false,
            schema,
        }
    }
}

/// The join replacing conjunct `test` when it is a subquery test that can be pulled up.
/// The test is evaluated over a row `skip ++ O ++ R` (`skip` columns it must not read,
/// then the `ow` columns of the row the join keeps, then the rows further out).
fn pull_up(query: &PlannedQuery, test: &Expr, skip: usize, ow: usize) -> Option<Pulled> {
    let (id, kind, lhs) = match test {
        Expr::Subquery { id, kind: SubqueryTest::Exists { negated }, .. } => {
            (*id, if *negated { JoinKind::Anti } else { JoinKind::Semi }, None)
        }
        Expr::Unary { op: UnaryOp::Not, expr, .. } => match &**expr {
            Expr::Subquery { id, kind: SubqueryTest::Exists { negated }, .. } => {
                (*id, if *negated { JoinKind::Semi } else { JoinKind::Anti }, None)
            }
            Expr::Subquery {
                id,
                kind: SubqueryTest::Quantified { lhs, op: BinaryOp::Eq, all: false },
                ..
            } => (*id, JoinKind::NullAwareAnti, Some(lhs)),
            _ => return None,
        },
        Expr::Subquery {
            id,
            kind: SubqueryTest::Quantified { lhs, op: BinaryOp::Eq, all: false },
            ..
        } => (*id, JoinKind::Semi, Some(lhs)),
        Expr::Subquery {
            id,
            kind: SubqueryTest::Quantified { lhs, op: BinaryOp::NotEq, all: true },
            ..
        } => (*id, JoinKind::NullAwareAnti, Some(lhs)),
        _ => return None,
    };
    let sub = query.subqueries.get(id.0 as usize)?;
    // An uncorrelated subquery already runs once (and IN probes a hash of its rows).
    if !sub.correlated {
        return None;
    }
    // What the subquery returns, over the row of the node reached while peeling.
    let mut outputs: Option<Vec<Expr>> = match lhs {
        Some(lhs) => {
            let schema = sub.plan.schema();
            if schema.len() != lhs.len() || schema.iter().any(|f| f.hidden) {
                return None;
            }
            Some(
                schema
                    .iter()
                    .enumerate()
                    .map(|(i, f)| Expr::Column(i, f.data_type.clone()))
                    .collect(),
            )
        }
        None => None,
    };
    let mut node = &sub.plan;
    let mut projected = false;
    loop {
        node = match node {
            Plan::Sort { input, limit: None, .. } | Plan::Distinct { input, on: None } => input,
            Plan::Project { input, exprs, .. } if !projected => {
                projected = true;
                if let Some(outs) = outputs.as_mut() {
                    for o in outs.iter_mut() {
                        transform(o, &mut |n| match n {
                            Expr::Column(i, _) => exprs.get(*i).cloned(),
                            _ => None,
                        });
                    }
                }
                input
            }
            _ => break,
        };
    }
    let (f_plan, conjuncts) = match node {
        Plan::Filter { input, predicate } => {
            let mut parts = Vec::new();
            split(predicate.clone(), &mut parts);
            (&**input, parts)
        }
        other => (other, Vec::new()),
    };
    let fw = f_plan.width();
    if plan_reads_outside(query, f_plan, 0)
        || !crate::exec::subquery_memo::plan_is_pure(query, f_plan, 0)
    {
        return None;
    }
    let mut local = Vec::new();
    let mut on = Vec::new();
    for c in conjuncts {
        if !expr_reads_outside(query, &c, fw) {
            local.push(c);
            continue;
        }
        if !movable(&c) || reads_range(&c, fw, fw + skip) {
            return None;
        }
        if reads_range(&c, fw + skip, fw + skip + ow) {
            on.push(to_join_row(c, fw, skip, ow));
        } else {
            // Reads only its own row and rows further out: stays below, where the rows
            // further out follow the subquery's row directly.
            local.push(drop_outer_block(c, fw, skip + ow));
        }
    }
    if let (Some(lhs), Some(outs)) = (lhs, outputs) {
        for (l, o) in lhs.iter().zip(outs) {
            if !movable(l)
                || !movable(&o)
                || l.data_type() != o.data_type()
                || reads_range(l, 0, skip)
                || reads_range(&o, fw, fw + skip)
            {
                return None;
            }
            // The left side is evaluated over `skip ++ O ++ R`: `O` moves to the front,
            // rows further out past `F`.
            let mut l = l.clone();
            transform(&mut l, &mut |n| match n {
                Expr::Column(i, ty) if *i < skip + ow => Some(Expr::Column(i - skip, ty.clone())),
                Expr::Column(i, ty) => Some(Expr::Column(i - skip + fw, ty.clone())),
                _ => None,
            });
            let eq = Expr::Binary {
                op: BinaryOp::Eq,
                left: Box::new(l),
                right: Box::new(to_join_row(o, fw, skip, ow)),
                ty: helios_types::DataType::Bool,
            };
            on.push(match kind {
                JoinKind::NullAwareAnti => {
                    Expr::IsBool { expr: Box::new(eq), value: Some(false), negated: true }
                }
                _ => eq,
            });
        }
    }
    let right = match join(local) {
        Some(p) => Plan::Filter { input: Box::new(f_plan.clone()), predicate: p },
        None => f_plan.clone(),
    };
    Some(Pulled { right, kind, on: join(on) })
}

/// Whether a conjunct reading enclosing rows may move into a join condition: no
/// subquery (it would see another row layout), nothing volatile or user-defined.
pub(super) fn movable(e: &Expr) -> bool {
    let mut ok = !has_subquery(e) && !e.contains_aggregate() && !e.contains_window();
    e.walk(&mut |n| match n {
        Expr::Function { func, .. } => ok &= !func.volatile,
        Expr::UserCall(_) => ok = false,
        _ => {}
    });
    ok
}

/// Whether `e` reads a column in `lo..hi`.
fn reads_range(e: &Expr, lo: usize, hi: usize) -> bool {
    let mut found = false;
    e.walk(&mut |n| {
        if let Expr::Column(i, _) = n {
            found |= (lo..hi).contains(i);
        }
    });
    found
}

/// Moves `e` from the subquery's `F ++ skip ++ O ++ R` layout (`F` `fw` wide, `O` `ow`
/// wide; `e` reads nothing of `skip`) to the join's `O ++ F ++ R`.
fn to_join_row(mut e: Expr, fw: usize, skip: usize, ow: usize) -> Expr {
    transform(&mut e, &mut |n| match n {
        Expr::Column(i, ty) if *i < fw => Some(Expr::Column(ow + i, ty.clone())),
        Expr::Column(i, ty) if *i < fw + skip + ow => Some(Expr::Column(i - fw - skip, ty.clone())),
        Expr::Column(i, ty) => Some(Expr::Column(i - skip, ty.clone())),
        _ => None,
    });
    e
}

/// Moves `e`, which reads none of the `width` columns after `F`, from `F ++ (width) ++ R`
/// to `F ++ R`.
fn drop_outer_block(mut e: Expr, fw: usize, width: usize) -> Expr {
    transform(&mut e, &mut |n| match n {
        Expr::Column(i, ty) if *i >= fw + width => Some(Expr::Column(i - width, ty.clone())),
        _ => None,
    });
    e
}

/// Whether `e`, evaluated over a local row `width` wide, reads the enclosing row (itself
/// or through a correlated subquery).
pub(super) fn expr_reads_outside(query: &PlannedQuery, e: &Expr, width: usize) -> bool {
    let mut found = false;
    e.walk(&mut |n| match n {
        Expr::Column(i, _) => found |= *i >= width,
        Expr::Subquery { id, .. } => {
            found |= match query.subqueries.get(id.0 as usize) {
                Some(s) if !s.correlated => false,
                // The subquery's enclosing row starts with the row it is evaluated on.
                Some(s) => s.outer_refs.as_ref().is_none_or(|r| r.iter().any(|&p| p >= width)),
                None => true,
            };
        }
        _ => {}
    });
    found
}

/// Whether anything in `plan` reads the enclosing row; `extra` leading columns of that
/// row belong to the plan itself (the left row of a LATERAL join holding it).
pub(super) fn plan_reads_outside(query: &PlannedQuery, plan: &Plan, extra: usize) -> bool {
    if matches!(plan, Plan::CteScan { outer_skip: Some(_), .. }) {
        return true;
    }
    let mut found = false;
    plan.for_each_expr(&mut |e, w| found |= expr_reads_outside(query, e, w + extra));
    if found {
        return true;
    }
    match plan {
        Plan::Join { left, right, lateral: true, .. } => {
            plan_reads_outside(query, left, extra)
                || plan_reads_outside(query, right, extra + left.width())
        }
        other => other.inputs().into_iter().any(|p| plan_reads_outside(query, p, extra)),
    }
}
