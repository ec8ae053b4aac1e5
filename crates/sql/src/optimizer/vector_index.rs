//! Vector index selection: `ORDER BY col <op> q LIMIT k [OFFSET o]` over a table scan
//! becomes a k-nearest-neighbour scan of an HNSW index on `col` whose operator class
//! matches `<op>` (`vector_l2_ops` for `<->`, `vector_cosine_ops` for `<=>`,
//! `vector_ip_ops` for `<#>`), when `q` is a constant or a parameter. The sort stays
//! above the scan (it orders the `k + o` found rows by exact distance) and so does the
//! limit; the scan's filter (the pushed-down WHERE clause) is checked on every candidate
//! inside the search, which widens until enough rows pass.
//!
//! Without a matching index the plan is left alone: a full scan and a top-K sort give
//! the exact answer.

use helios_types::Value;

use super::map_inputs;
use crate::expr::{BinaryOp, Expr};
use crate::planner::{Access, Plan, VectorAccess};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Limit { input, limit: Some(limit), offset } => {
            let input = below_limit(*input, &limit, &offset);
            Plan::Limit { input: Box::new(input), limit: Some(limit), offset }
        }
        other => other,
    }
}

fn below_limit(plan: Plan, limit: &Expr, offset: &Option<Expr>) -> Plan {
    match plan {
        Plan::Project { input, exprs, schema } => {
            Plan::Project { input: Box::new(below_limit(*input, limit, offset)), exprs, schema }
        }
        Plan::Sort { input, keys, limit: top } if keys.len() == 1 && keys[0].asc => {
            let key = keys[0].expr.clone();
            let input = match *input {
                Plan::Project { input: scan, exprs, schema } => {
                    let key = substitute(&key, &exprs);
                    let scan = rewrite_scan(*scan, key, limit, offset);
                    Plan::Project { input: Box::new(scan), exprs, schema }
                }
                scan => rewrite_scan(scan, key, limit, offset),
            };
            Plan::Sort { input: Box::new(input), keys, limit: top }
        }
        other => other,
    }
}

/// Replaces column references to a projection's outputs by the projected expressions.
fn substitute(e: &Expr, exprs: &[Expr]) -> Option<Expr> {
    match e {
        Expr::Column(i, _) => exprs.get(*i).cloned(),
        Expr::Binary { op, left, right, ty } => Some(Expr::Binary {
            op: *op,
            left: Box::new(substitute(left, exprs)?),
            right: Box::new(substitute(right, exprs)?),
            ty: ty.clone(),
        }),
        Expr::Literal(..) | Expr::Param(..) => Some(e.clone()),
        Expr::Cast { expr, to, explicit } => Some(Expr::Cast {
            expr: Box::new(substitute(expr, exprs)?),
            to: to.clone(),
            explicit: *explicit,
        }),
        _ => None,
    }
}

/// A constant or parameter (possibly cast).
fn constant(e: &Expr) -> bool {
    match e {
        Expr::Literal(..) | Expr::Param(..) => true,
        Expr::Cast { expr, .. } => constant(expr),
        _ => false,
    }
}

fn rewrite_scan(
    scan: Plan,
    key: impl Into<Option<Expr>>,
    limit: &Expr,
    offset: &Option<Expr>,
) -> Plan {
    let Some(Expr::Binary { op, left, right, .. }) = key.into() else { return scan };
    let symbol = match op {
        BinaryOp::L2Distance => "<->",
        BinaryOp::CosineDistance => "<=>",
        BinaryOp::NegInnerProduct => "<#>",
        _ => return scan,
    };
    let (col, query) = match (*left, *right) {
        (Expr::Column(c, _), q) if constant(&q) => (c, q),
        (q, Expr::Column(c, _)) if constant(&q) => (c, q),
        _ => return scan,
    };
    match scan {
        Plan::Scan { table, access: Access::Full, filter, with_key, needed, schema } => {
            let index = table.indexes.iter().find(|i| {
                i.columns.first() == Some(&col)
                    && i.vector.as_ref().is_some_and(|d| d.operator() == symbol)
            });
            let Some(index) = index else {
                return Plan::Scan {
                    table,
                    access: Access::Full,
                    filter,
                    with_key,
                    needed,
                    schema,
                };
            };
            let column = table.columns.get(col).map(|c| c.name.clone()).unwrap_or_default();
            let access = Access::Vector(VectorAccess {
                index: index.id,
                order_by: format!("{column} {symbol} {}", constant_text(&query)),
                query,
                limit: limit.clone(),
                offset: offset.clone(),
            });
            Plan::Scan { table, access, filter, with_key, needed, schema }
        }
        other => other,
    }
}

fn constant_text(e: &Expr) -> String {
    match e {
        Expr::Literal(Value::Null, _) => "NULL".into(),
        Expr::Literal(v, _) => format!("'{}'::vector", v.to_pg_text()),
        Expr::Param(i, _) => format!("${}", i + 1),
        Expr::Cast { expr, .. } => constant_text(expr),
        _ => "?".into(),
    }
}
