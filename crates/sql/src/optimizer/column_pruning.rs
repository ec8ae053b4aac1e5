//! Column pruning: each table scan learns which of its table's columns the plan above
//! reads, so the executor decodes only those (the others come out NULL; row widths and
//! column positions do not change).
//!
//! The walk is top-down: a node is given the set of its output columns its parent needs
//! and works out which of its input columns that takes. It is conservative wherever a
//! row can be read other than through column references: an expression holding a
//! subquery (a correlated subquery reads the whole row it is evaluated on), the left
//! side of a LATERAL join, DISTINCT, set operations and recursive unions need every
//! column. The root of every plan needs all of its output.

use super::conjuncts::has_subquery;
use crate::expr::{Expr, WindowCall};
use crate::planner::{Access, JoinKind, Plan};

/// Applies the rule to a whole plan (its output is read in full).
pub fn apply(plan: Plan) -> Plan {
    let width = plan.width();
    prune(plan, &vec![true; width])
}

/// Marks in `needed` (of `width` input columns) the columns `e` reads.
fn mark(e: &Expr, needed: &mut [bool]) {
    if has_subquery(e) {
        needed.iter_mut().for_each(|n| *n = true);
        return;
    }
    e.walk(&mut |n| {
        if let Expr::Column(i, _) = n {
            // Larger indexes are the enclosing row of a correlated subquery.
            if let Some(slot) = needed.get_mut(*i) {
                *slot = true;
            }
        }
    });
}

fn mark_window(call: &WindowCall, needed: &mut [bool]) {
    for e in call.args.iter().chain(&call.filter).chain(&call.partition_by) {
        mark(e, needed);
    }
    for s in &call.order_by {
        mark(&s.expr, needed);
    }
}

/// The first `width` entries of `needed` (missing ones are needed).
fn prefix(needed: &[bool], width: usize) -> Vec<bool> {
    (0..width).map(|i| needed.get(i).copied().unwrap_or(true)).collect()
}

/// Prunes below `plan`, whose output columns marked in `needed` are read.
fn prune(plan: Plan, needed: &[bool]) -> Plan {
    let all = |p: &Plan| vec![true; p.width()];
    match plan {
        Plan::Scan { table, access, filter, with_key, schema, .. } => {
            let width = table.columns.len();
            let mut mask = prefix(needed, width);
            if let Some(f) = &filter {
                mark(f, &mut mask);
            }
            let prunable = table.time_travel.is_none() && !matches!(access, Access::Vector(_));
            let needed = (prunable && mask.iter().any(|m| !m)).then_some(mask);
            Plan::Scan { table, access, filter, with_key, needed, schema }
        }
        Plan::Filter { input, predicate } => {
            let mut n = prefix(needed, input.width());
            mark(&predicate, &mut n);
            Plan::Filter { input: Box::new(prune(*input, &n)), predicate }
        }
        Plan::Project { input, exprs, schema } => {
            let mut n = vec![false; input.width()];
            for e in &exprs {
                mark(e, &mut n);
            }
            Plan::Project { input: Box::new(prune(*input, &n)), exprs, schema }
        }
        Plan::Aggregate { input, group_by, sets, aggs, schema } => {
            // The output starts with a representative input row.
            let mut n = prefix(needed, input.width());
            for g in &group_by {
                mark(g, &mut n);
            }
            for call in &aggs {
                for e in call.args.iter().chain(&call.filter) {
                    mark(e, &mut n);
                }
                for s in &call.order_by {
                    mark(&s.expr, &mut n);
                }
            }
            let input = Box::new(prune(*input, &n));
            Plan::Aggregate { input, group_by, sets, aggs, schema }
        }
        Plan::Window { input, calls, schema } => {
            let mut n = prefix(needed, input.width());
            for c in &calls {
                mark_window(c, &mut n);
            }
            Plan::Window { input: Box::new(prune(*input, &n)), calls, schema }
        }
        Plan::Join { left, right, kind, on, equi, lateral, schema } => {
            let (lw, rw) = (left.width(), right.width());
            let mut both = prefix(needed, lw + rw);
            if matches!(kind, JoinKind::Semi | JoinKind::Anti | JoinKind::NullAwareAnti) {
                // Only the left columns come out; the right ones are read by the condition.
                both[lw..].iter_mut().for_each(|n| *n = false);
            }
            if let Some(o) = &on {
                mark(o, &mut both);
            }
            let mut l = both[..lw].to_vec();
            let mut r = both[lw..].to_vec();
            for (le, re) in &equi {
                mark(le, &mut l);
                mark(re, &mut r);
            }
            if lateral {
                // The right side reads the left row as its enclosing row.
                l = vec![true; lw];
            }
            Plan::Join {
                left: Box::new(prune(*left, &l)),
                right: Box::new(prune(*right, &r)),
                kind,
                on,
                equi,
                lateral,
                schema,
            }
        }
        Plan::Sort { input, keys, limit } => {
            let mut n = prefix(needed, input.width());
            for k in &keys {
                mark(&k.expr, &mut n);
            }
            Plan::Sort { input: Box::new(prune(*input, &n)), keys, limit }
        }
        Plan::Limit { input, limit, offset } => {
            let n = prefix(needed, input.width());
            Plan::Limit { input: Box::new(prune(*input, &n)), limit, offset }
        }
        Plan::LockRows { input, tables, schema } => {
            // The trailing key columns are always read.
            let mut n = prefix(needed, schema.len());
            n.resize(input.width(), true);
            Plan::LockRows { input: Box::new(prune(*input, &n)), tables, schema }
        }
        Plan::Distinct { input, on } => {
            let n = match &on {
                Some(keys) => {
                    let mut n = prefix(needed, input.width());
                    for k in keys {
                        mark(k, &mut n);
                    }
                    n
                }
                None => all(&input),
            };
            Plan::Distinct { input: Box::new(prune(*input, &n)), on }
        }
        Plan::SetOp { left, right, op, all: keep, schema } => {
            let (l, r) = (all(&left), all(&right));
            Plan::SetOp {
                left: Box::new(prune(*left, &l)),
                right: Box::new(prune(*right, &r)),
                op,
                all: keep,
                schema,
            }
        }
        Plan::Append { inputs, schema } => {
            let n = prefix(needed, schema.len());
            Plan::Append { inputs: inputs.into_iter().map(|p| prune(p, &n)).collect(), schema }
        }
        Plan::RecursiveUnion { id, base, recursive, all: keep, schema } => {
            let (b, r) = (all(&base), all(&recursive));
            Plan::RecursiveUnion {
                id,
                base: Box::new(prune(*base, &b)),
                recursive: Box::new(prune(*recursive, &r)),
                all: keep,
                schema,
            }
        }
        leaf @ (Plan::Empty { .. }
        | Plan::Values { .. }
        | Plan::TableFunction { .. }
        | Plan::Sequence { .. }
        | Plan::CteScan { .. }
        | Plan::WorkTable { .. }) => leaf,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use helios_types::{DataType, Value};

    use super::apply;
    use crate::catalog::{ColumnDef, TableDef};
    use crate::expr::{BinaryOp, Expr, SubqueryId, SubqueryTest};
    use crate::planner::{Access, Field, JoinKind, Plan};

    fn table(id: u32, n: usize) -> Arc<TableDef> {
        let columns = (0..n).map(|i| ColumnDef::plain(format!("c{i}"), DataType::Int4)).collect();
        Arc::new(TableDef::bare(id, "public".into(), format!("t{id}"), columns, Default::default()))
    }

    fn scan(t: &Arc<TableDef>, filter: Option<Expr>) -> Plan {
        let schema =
            t.columns.iter().map(|c| Field::new(c.name.clone(), c.data_type.clone())).collect();
        Plan::Scan {
            table: t.clone(),
            access: Access::Full,
            filter,
            with_key: false,
            needed: None,
            schema,
        }
    }

    fn col(i: usize) -> Expr {
        Expr::Column(i, DataType::Int4)
    }

    fn project(input: Plan, exprs: Vec<Expr>) -> Plan {
        let schema = exprs.iter().map(|e| Field::new("x", e.data_type())).collect();
        Plan::Project { input: Box::new(input), exprs, schema }
    }

    /// The `needed` masks of the plan's scans, left to right.
    fn masks(p: &Plan) -> Vec<Option<Vec<bool>>> {
        match p {
            Plan::Scan { needed, .. } => vec![needed.clone()],
            other => other.inputs().into_iter().flat_map(masks).collect(),
        }
    }

    fn gt(e: Expr, n: i32) -> Expr {
        Expr::Binary {
            op: BinaryOp::Gt,
            left: Box::new(e),
            right: Box::new(Expr::literal(Value::Int4(n))),
            ty: DataType::Bool,
        }
    }

    #[test]
    fn scans_decode_what_projections_and_filters_read() {
        let t = table(1, 4);
        let p = apply(project(scan(&t, Some(gt(col(3), 1))), vec![col(1)]));
        assert_eq!(masks(&p), vec![Some(vec![false, true, false, true])]);
        // Every column read: no mask at all.
        let p = apply(project(scan(&t, None), vec![col(0), col(1), col(2), col(3)]));
        assert_eq!(masks(&p), vec![None]);
        // The root's own output is read in full.
        assert_eq!(masks(&apply(scan(&t, None))), vec![None]);
    }

    #[test]
    fn joins_split_needs_between_sides() {
        let (l, r) = (table(1, 3), table(2, 3));
        let mut schema = scan(&l, None).schema();
        schema.extend(scan(&r, None).schema());
        let join = Plan::Join {
            left: Box::new(scan(&l, None)),
            right: Box::new(scan(&r, None)),
            kind: JoinKind::Inner,
            on: Some(gt(col(5), 0)),
            equi: vec![(col(1), col(0))],
            lateral: false,
            schema: schema.clone(),
        };
        let p = apply(project(join, vec![col(2)]));
        assert_eq!(masks(&p), vec![Some(vec![false, true, true]), Some(vec![true, false, true])]);
        // LATERAL: the right side reads the whole left row.
        let lateral = Plan::Join {
            left: Box::new(scan(&l, None)),
            right: Box::new(scan(&r, None)),
            kind: JoinKind::Inner,
            on: None,
            equi: Vec::new(),
            lateral: true,
            schema,
        };
        let p = apply(project(lateral, vec![col(4)]));
        assert_eq!(masks(&p), vec![None, Some(vec![false, true, false])]);
    }

    #[test]
    fn subqueries_and_distinct_need_every_column() {
        let t = table(1, 3);
        let sub = Expr::Subquery {
            id: SubqueryId(0),
            kind: SubqueryTest::Exists { negated: false },
            ty: DataType::Bool,
        };
        let p = apply(project(scan(&t, Some(sub)), vec![col(0)]));
        assert_eq!(masks(&p), vec![None]);
        let d = Plan::Distinct { input: Box::new(scan(&t, None)), on: None };
        assert_eq!(masks(&apply(project(d, vec![col(0)]))), vec![None]);
    }
}
