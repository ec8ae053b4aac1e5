//! Index selection: a scan's conjuncts `col = const`, `col < const`, ... on the leading
//! columns of the primary key or a secondary index become a key range. The scan keeps
//! its whole filter, so the range only narrows what is read.

use std::ops::Bound;

use super::conjuncts::{is_row_free, split};
use super::map_inputs;
use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Expr};
use crate::planner::{Access, KeyRange, Plan};

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Scan {
            table,
            access: Access::Full,
            filter: Some(filter),
            with_key,
            needed,
            schema,
        } => {
            let access = choose(&table, &filter).unwrap_or(Access::Full);
            Plan::Scan { table, access, filter: Some(filter), with_key, needed, schema }
        }
        other => other,
    }
}

/// A comparison of a column with a row-free value of the same type: (column, op, value).
fn comparison(e: &Expr) -> Option<(usize, BinaryOp, Expr)> {
    let Expr::Binary { op, left, right, .. } = e else { return None };
    if !matches!(op, BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq) {
        return None;
    }
    match (left.as_ref(), right.as_ref()) {
        (Expr::Column(i, t), v) if is_row_free(v) && v.data_type() == *t => {
            Some((*i, *op, v.clone()))
        }
        (v, Expr::Column(i, t)) if is_row_free(v) && v.data_type() == *t => {
            Some((*i, op.commuted(), v.clone()))
        }
        _ => None,
    }
}

fn range_for(index: &IndexDef, comps: &[(usize, BinaryOp, Expr)]) -> Option<(usize, KeyRange)> {
    let mut eq = Vec::new();
    for col in &index.columns {
        match comps.iter().find(|(c, op, _)| c == col && *op == BinaryOp::Eq) {
            Some((_, _, v)) => eq.push(v.clone()),
            None => break,
        }
    }
    let mut lower = Bound::Unbounded;
    let mut upper = Bound::Unbounded;
    let mut score = eq.len() * 2;
    if let Some(next) = index.columns.get(eq.len()) {
        for (c, op, v) in comps {
            if c != next {
                continue;
            }
            match op {
                BinaryOp::Gt => lower = Bound::Excluded(v.clone()),
                BinaryOp::GtEq => lower = Bound::Included(v.clone()),
                BinaryOp::Lt => upper = Bound::Excluded(v.clone()),
                BinaryOp::LtEq => upper = Bound::Included(v.clone()),
                _ => {}
            }
        }
        if !matches!(lower, Bound::Unbounded) {
            score += 1;
        }
        if !matches!(upper, Bound::Unbounded) {
            score += 1;
        }
    }
    if score == 0 {
        return None;
    }
    // A full-key equality on a unique index beats everything.
    if eq.len() == index.columns.len() && index.unique {
        score += 100;
    }
    Some((score, KeyRange { eq, lower, upper }))
}

fn choose(table: &TableDef, filter: &Expr) -> Option<Access> {
    let mut parts = Vec::new();
    split(filter.clone(), &mut parts);
    let comps: Vec<(usize, BinaryOp, Expr)> = parts.iter().filter_map(comparison).collect();
    if comps.is_empty() {
        return None;
    }
    let mut best: Option<(usize, Access)> = None;
    for index in &table.indexes {
        if let Some((score, range)) = range_for(index, &comps) {
            // Prefer the primary key on ties: it reads rows directly.
            let score = score * 2 + usize::from(index.primary);
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                let access = if index.primary {
                    Access::Primary(range)
                } else {
                    Access::Index { index: index.id, range }
                };
                best = Some((score, access));
            }
        }
    }
    best.map(|(_, a)| a)
}
