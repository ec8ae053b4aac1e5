//! Predicate pushdown: WHERE conjuncts over a join move to the side they read (or into
//! an inner join's condition); conditions over a table scan become the scan's filter.

use super::conjuncts::{column_span, has_subquery, join, split};
use super::map_inputs;
use crate::planner::rewrite::shift_columns;
use crate::planner::{JoinKind, Plan};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Filter { input, predicate } => push(*input, predicate),
        other => other,
    }
}

fn push(input: Plan, predicate: crate::expr::Expr) -> Plan {
    match input {
        Plan::Scan { table, access, filter, with_key, needed, schema } => {
            // Conjuncts with a subquery or an outer column stay above the scan, so they
            // run only on the rows the others let through.
            let (down, keep) = pushable(predicate, schema.len());
            let mut parts = Vec::new();
            if let Some(f) = filter {
                split(f, &mut parts);
            }
            parts.extend(down);
            let scan = Plan::Scan { table, access, filter: join(parts), with_key, needed, schema };
            match join(keep) {
                Some(p) => Plan::Filter { input: Box::new(scan), predicate: p },
                None => scan,
            }
        }
        Plan::Join { left, right, kind, on, equi, lateral, schema }
            if matches!(
                kind,
                JoinKind::Inner
                    | JoinKind::Left
                    | JoinKind::Semi
                    | JoinKind::Anti
                    | JoinKind::NullAwareAnti
            ) && !lateral =>
        {
            let lw = left.width();
            let total = schema.len();
            let mut parts = Vec::new();
            split(predicate, &mut parts);
            let (mut to_left, mut to_right, mut to_on, mut keep) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for p in parts {
                let span = column_span(&p);
                if has_subquery(&p) || span.is_some_and(|(_, hi)| hi >= total) {
                    keep.push(p);
                    continue;
                }
                match span {
                    Some((_, hi)) if hi < lw => to_left.push(p),
                    Some((lo, _)) if lo >= lw && kind == JoinKind::Inner => {
                        let mut p = p;
                        shift_columns(&mut p, lw, -(lw as isize));
                        to_right.push(p);
                    }
                    Some(_) if kind == JoinKind::Inner => to_on.push(p),
                    _ => keep.push(p),
                }
            }
            let left = match join(to_left) {
                Some(p) => Box::new(push(*left, p)),
                None => left,
            };
            let right = match join(to_right) {
                Some(p) => Box::new(push(*right, p)),
                None => right,
            };
            let mut on_parts = Vec::new();
            if let Some(o) = on {
                split(o, &mut on_parts);
            }
            on_parts.extend(to_on);
            let joined =
                Plan::Join { left, right, kind, on: join(on_parts), equi, lateral, schema };
            match join(keep) {
                Some(p) => Plan::Filter { input: Box::new(joined), predicate: p },
                None => joined,
            }
        }
        Plan::Append { inputs, schema } => {
            let (down, keep) = pushable(predicate, schema.len());
            let inputs = match join(down) {
                Some(d) => inputs.into_iter().map(|p| push(p, d.clone())).collect(),
                None => inputs,
            };
            let append = Plan::Append { inputs, schema };
            match join(keep) {
                Some(p) => Plan::Filter { input: Box::new(append), predicate: p },
                None => append,
            }
        }
        Plan::Project { input, exprs, schema } => {
            // Conditions on columns the projection passes through (or on constants it
            // adds, like `tableoid`) apply below it.
            let mut parts = Vec::new();
            split(predicate, &mut parts);
            let (mut down, mut keep) = (Vec::new(), Vec::new());
            for p in parts {
                let mut simple = !has_subquery(&p);
                p.walk(&mut |n| {
                    if let crate::expr::Expr::Column(i, _) = n {
                        simple &= matches!(
                            exprs.get(*i),
                            Some(crate::expr::Expr::Column(..) | crate::expr::Expr::Literal(..))
                        );
                    }
                });
                if simple {
                    let mut p = p;
                    crate::planner::rewrite::transform(&mut p, &mut |n| match n {
                        crate::expr::Expr::Column(i, _) => exprs.get(*i).cloned(),
                        _ => None,
                    });
                    down.push(p);
                } else {
                    keep.push(p);
                }
            }
            let input = match join(down) {
                Some(d) => Box::new(push(*input, d)),
                None => input,
            };
            let project = Plan::Project { input, exprs, schema };
            match join(keep) {
                Some(p) => Plan::Filter { input: Box::new(project), predicate: p },
                None => project,
            }
        }
        Plan::Filter { input, predicate: inner } => {
            let mut parts = Vec::new();
            split(inner, &mut parts);
            split(predicate, &mut parts);
            match join(parts) {
                Some(p) => push(*input, p),
                None => *input,
            }
        }
        other => Plan::Filter { input: Box::new(other), predicate },
    }
}

/// Splits a condition over an input of `width` columns into the conjuncts a scan can
/// apply (no subquery, no outer column) and the ones that must stay above it.
fn pushable(
    predicate: crate::expr::Expr,
    width: usize,
) -> (Vec<crate::expr::Expr>, Vec<crate::expr::Expr>) {
    let mut parts = Vec::new();
    split(predicate, &mut parts);
    parts
        .into_iter()
        .partition(|p| !has_subquery(p) && column_span(p).is_none_or(|(_, hi)| hi < width))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use helios_types::{DataType, Value};

    use super::apply;
    use crate::catalog::{ColumnDef, TableDef};
    use crate::expr::{BinaryOp, Expr, SubqueryId, SubqueryTest};
    use crate::planner::{Access, Field, Plan};

    fn scan() -> Plan {
        let columns: Vec<ColumnDef> =
            (0..2).map(|i| ColumnDef::plain(format!("c{i}"), DataType::Int4)).collect();
        let schema = columns.iter().map(|c| Field::new(c.name.clone(), DataType::Int4)).collect();
        let table =
            Arc::new(TableDef::bare(1, "public".into(), "t".into(), columns, Default::default()));
        Plan::Scan {
            table,
            access: Access::Full,
            filter: None,
            with_key: false,
            needed: None,
            schema,
        }
    }

    fn and(a: Expr, b: Expr) -> Expr {
        Expr::Binary {
            op: BinaryOp::And,
            left: Box::new(a),
            right: Box::new(b),
            ty: DataType::Bool,
        }
    }

    #[test]
    fn conjuncts_without_subqueries_reach_the_scan_and_the_rest_stays_above() {
        let sub = Expr::Subquery {
            id: SubqueryId(0),
            kind: SubqueryTest::Exists { negated: true },
            ty: DataType::Bool,
        };
        let cmp = Expr::Binary {
            op: BinaryOp::Lt,
            left: Box::new(Expr::Column(0, DataType::Int4)),
            right: Box::new(Expr::Literal(Value::Int4(20), DataType::Int4)),
            ty: DataType::Bool,
        };
        let both =
            Plan::Filter { input: Box::new(scan()), predicate: and(sub.clone(), cmp.clone()) };
        match apply(both) {
            Plan::Filter { input, predicate } => {
                assert_eq!(predicate, sub);
                match *input {
                    Plan::Scan { filter: Some(f), .. } => assert_eq!(f, cmp),
                    other => panic!("scan without filter: {other:?}"),
                }
            }
            other => panic!("no filter above the scan: {other:?}"),
        }
        // Inside an Append, every input gets the pushable part.
        let append = Plan::Append { inputs: vec![scan(), scan()], schema: scan().schema() };
        let p = apply(Plan::Filter { input: Box::new(append), predicate: and(sub, cmp.clone()) });
        let Plan::Filter { input, .. } = p else { panic!("no filter above the append") };
        let Plan::Append { inputs, .. } = *input else { panic!("append lost") };
        for i in inputs {
            assert!(matches!(i, Plan::Scan { filter: Some(ref f), .. } if *f == cmp));
        }
    }
}
