//! Joins: nested loop (any condition), hash join (equi-joins), LATERAL.

use std::collections::HashMap;

use helios_common::Result;
use helios_types::{HashableValue, Value};

use super::context::{ExecCtx, Row};
use crate::expr::Expr;
use crate::planner::{JoinKind, Plan};

fn joined(l: &[Value], r: &[Value]) -> Row {
    let mut out = Vec::with_capacity(l.len() + r.len());
    out.extend_from_slice(l);
    out.extend_from_slice(r);
    out
}

fn nulls(n: usize) -> Row {
    vec![Value::Null; n]
}

/// Emits the joined rows given, for each left row, the matching right row indexes.
fn emit(
    left: &[Row],
    right: &[Row],
    (left_width, right_width): (usize, usize),
    kind: JoinKind,
    matches: &[Vec<usize>],
) -> Vec<Row> {
    let mut out = Vec::new();
    let mut right_matched = vec![false; right.len()];
    for (li, l) in left.iter().enumerate() {
        let m = &matches[li];
        match kind {
            JoinKind::Semi => {
                if !m.is_empty() {
                    out.push(l.clone());
                }
            }
            JoinKind::Anti => {
                if m.is_empty() {
                    out.push(l.clone());
                }
            }
            _ => {
                for &ri in m {
                    right_matched[ri] = true;
                    out.push(joined(l, &right[ri]));
                }
                if m.is_empty() && matches!(kind, JoinKind::Left | JoinKind::Full) {
                    out.push(joined(l, &nulls(right_width)));
                }
            }
        }
    }
    if matches!(kind, JoinKind::Right | JoinKind::Full) {
        for (ri, r) in right.iter().enumerate() {
            if !right_matched[ri] {
                out.push(joined(&nulls(left_width), r));
            }
        }
    }
    out
}

/// Nested-loop join: every pair is tested against `on`.
pub fn nested_loop(
    ctx: &ExecCtx<'_>,
    left: Vec<Row>,
    right: Vec<Row>,
    widths: (usize, usize),
    kind: JoinKind,
    on: Option<&Expr>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut matches = Vec::with_capacity(left.len());
    for l in &left {
        ctx.check_cancel()?;
        let mut m = Vec::new();
        for (ri, r) in right.iter().enumerate() {
            let ok = match on {
                None => true,
                Some(c) => ctx.eval_true(c, &joined(l, r), outer)?,
            };
            if ok {
                m.push(ri);
                if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
                    break;
                }
            }
        }
        matches.push(m);
    }
    Ok(emit(&left, &right, widths, kind, &matches))
}

/// Hash join on `equi` pairs (left expression over the left row, right expression over
/// the right row); `on` is the residual condition over the joined row.
#[allow(clippy::too_many_arguments)]
pub fn hash_join(
    ctx: &ExecCtx<'_>,
    left: Vec<Row>,
    right: Vec<Row>,
    widths: (usize, usize),
    kind: JoinKind,
    equi: &[(Expr, Expr)],
    on: Option<&Expr>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut table: HashMap<Vec<HashableValue>, Vec<usize>> = HashMap::new();
    'rows: for (ri, r) in right.iter().enumerate() {
        let mut key = Vec::with_capacity(equi.len());
        for (_, re) in equi {
            let v = ctx.eval(re, r, outer)?;
            if v.is_null() {
                continue 'rows;
            }
            key.push(HashableValue(v));
        }
        table.entry(key).or_default().push(ri);
    }
    let mut matches = Vec::with_capacity(left.len());
    for l in &left {
        ctx.check_cancel()?;
        let mut key = Vec::with_capacity(equi.len());
        let mut has_null = false;
        for (le, _) in equi {
            let v = ctx.eval(le, l, outer)?;
            has_null |= v.is_null();
            key.push(HashableValue(v));
        }
        let mut m = Vec::new();
        if !has_null {
            if let Some(cands) = table.get(&key) {
                for &ri in cands {
                    let ok = match on {
                        None => true,
                        Some(c) => ctx.eval_true(c, &joined(l, &right[ri]), outer)?,
                    };
                    if ok {
                        m.push(ri);
                    }
                }
            }
        }
        matches.push(m);
    }
    Ok(emit(&left, &right, widths, kind, &matches))
}

/// LATERAL: the right side runs once per left row, seeing it as its enclosing row.
pub fn lateral_join(
    ctx: &ExecCtx<'_>,
    left: Vec<Row>,
    right: &Plan,
    kind: JoinKind,
    on: Option<&Expr>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let right_width = right.width();
    let mut out = Vec::new();
    for l in &left {
        let mut inner_outer = l.clone();
        inner_outer.extend_from_slice(outer);
        let rows = super::execute(right, ctx, &inner_outer)?;
        let mut any = false;
        for r in rows {
            let row = joined(l, &r);
            let ok = match on {
                None => true,
                Some(c) => ctx.eval_true(c, &row, outer)?,
            };
            if ok {
                any = true;
                out.push(row);
            }
        }
        if !any && kind == JoinKind::Left {
            out.push(joined(l, &nulls(right_width)));
        }
    }
    Ok(out)
}
