//! Joins: nested loop (any condition), hash join (equi-joins), LATERAL.
//!
//! # Null-aware anti join (`NOT IN`)
//!
//! `x NOT IN (SELECT y ...)` keeps a row only when no subquery row `y` makes `x = y`
//! TRUE *or NULL*: a NULL on either side counts as a match. Its anti join therefore
//! holds `(x = y) IS NOT FALSE` in its condition, and its last hash key is `x = y`,
//! probed null-aware: a probe row with `x` NULL is a candidate for every build row
//! (with the same other keys), one with `x` set for the rows where `y = x` and those
//! where `y` is NULL. The condition then decides, as for any hash join. An empty build
//! side keeps every row (`x NOT IN (empty)` is true even for a NULL `x`).

use helios_common::Result;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::join_index::JoinIndex;
use super::stream::{for_each, Sink};
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

/// What a non-LATERAL join does, besides its inputs.
#[derive(Debug, Clone, Copy)]
pub struct JoinSpec<'p> {
    /// Join type.
    pub kind: JoinKind,
    /// The (residual) condition over the joined row.
    pub on: Option<&'p Expr>,
    /// Widths of the left and right rows.
    pub widths: (usize, usize),
}

/// Passes to `sink` what one left row yields given its matching right row indexes `m`,
/// marking those right rows matched. The left row is moved into the last joined row, not
/// cloned. Returns false when the sink stopped.
fn emit_left(
    sink: &mut Sink<'_>,
    mut l: Row,
    right: &[Row],
    spec: &JoinSpec<'_>,
    m: &[usize],
    right_matched: &mut [bool],
) -> Result<bool> {
    let right_width = spec.widths.1;
    match spec.kind {
        JoinKind::Semi => {
            if !m.is_empty() {
                return sink(l);
            }
        }
        JoinKind::Anti | JoinKind::NullAwareAnti => {
            if m.is_empty() {
                return sink(l);
            }
        }
        kind => match m.split_last() {
            Some((&last, rest)) => {
                for &ri in rest {
                    right_matched[ri] = true;
                    if !sink(joined(&l, &right[ri]))? {
                        return Ok(false);
                    }
                }
                right_matched[last] = true;
                l.reserve_exact(right_width);
                l.extend_from_slice(&right[last]);
                return sink(l);
            }
            None => {
                if matches!(kind, JoinKind::Left | JoinKind::Full) {
                    l.resize(l.len() + right_width, Value::Null);
                    return sink(l);
                }
            }
        },
    }
    Ok(true)
}

/// RIGHT and FULL joins: the right rows no left row matched, with NULLs on the left.
fn emit_unmatched_right(
    sink: &mut Sink<'_>,
    right: Vec<Row>,
    spec: &JoinSpec<'_>,
    right_matched: &[bool],
) -> Result<bool> {
    if matches!(spec.kind, JoinKind::Right | JoinKind::Full) {
        for (r, matched) in right.into_iter().zip(right_matched) {
            if !matched {
                let mut row = nulls(spec.widths.0);
                row.extend(r);
                if !sink(row)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

/// Whether the joined row of `l` and `r` passes `on`.
fn passes(
    ctx: &ExecCtx<'_>,
    on: Option<&Expr>,
    l: &[Value],
    r: &[Value],
    outer: &[Value],
) -> Result<bool> {
    match on {
        None => Ok(true),
        Some(c) => ctx.eval_true(c, &joined(l, r), outer),
    }
}

/// Nested-loop join: every pair is tested against `on`; the left side streams.
pub fn nested_loop_each(
    ctx: &ExecCtx<'_>,
    left: &Plan,
    right: Vec<Row>,
    spec: &JoinSpec<'_>,
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let mut right_matched = vec![false; right.len()];
    let mut m = Vec::new();
    let semi_or_anti = spec.kind.is_semi_or_anti();
    let go = for_each(left, ctx, outer, &mut |l| {
        ctx.check_cancel()?;
        m.clear();
        for (ri, r) in right.iter().enumerate() {
            if passes(ctx, spec.on, &l, r, outer)? {
                m.push(ri);
                if semi_or_anti {
                    break;
                }
            }
        }
        emit_left(sink, l, &right, spec, &m, &mut right_matched)
    })?;
    if !go {
        return Ok(false);
    }
    emit_unmatched_right(sink, right, spec, &right_matched)
}

/// Hash join on `equi` pairs (left expression over the left row, right expression over
/// the right row); `on` is the residual condition over the joined row. The right rows
/// are the build side; the left side streams through the probe.
pub fn hash_join_each(
    ctx: &ExecCtx<'_>,
    left: &Plan,
    right: Vec<Row>,
    spec: &JoinSpec<'_>,
    equi: &[(Expr, Expr)],
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    if spec.kind == JoinKind::NullAwareAnti {
        return null_aware_anti_each(ctx, left, right, spec, equi, outer, sink);
    }
    let mut index = JoinIndex::build(ctx, &right, equi, spec.widths, outer)?;
    if index.is_empty() && matches!(spec.kind, JoinKind::Inner | JoinKind::Semi | JoinKind::Right) {
        // Nothing can match: the left side need not even be read (PostgreSQL skips the
        // outer side of a hash join whose inner side is empty the same way).
        let none = vec![false; right.len()];
        return emit_unmatched_right(sink, right, spec, &none);
    }
    let mut right_matched = vec![false; right.len()];
    let (mut cands, mut m) = (Vec::new(), Vec::new());
    let semi_or_anti = spec.kind.is_semi_or_anti();
    let go = for_each(left, ctx, outer, &mut |l| {
        index.probe(ctx, &l, outer, &mut cands)?;
        m.clear();
        for &ri in &cands {
            if passes(ctx, spec.on, &l, &right[ri], outer)? {
                m.push(ri);
                if semi_or_anti {
                    break;
                }
            }
        }
        emit_left(sink, l, &right, spec, &m, &mut right_matched)
    })?;
    if !go {
        return Ok(false);
    }
    emit_unmatched_right(sink, right, spec, &right_matched)
}

/// The null-aware anti join of `NOT IN` (see the module notes): the last `equi` pair is
/// the `NOT IN` comparison, the others are ordinary keys; `on` holds the whole
/// condition, the comparison's `IS NOT FALSE` test included.
fn null_aware_anti_each(
    ctx: &ExecCtx<'_>,
    left: &Plan,
    right: Vec<Row>,
    spec: &JoinSpec<'_>,
    equi: &[(Expr, Expr)],
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let Some(((x, y), rest)) = equi.split_last() else {
        return nested_loop_each(ctx, left, right, spec, outer, sink);
    };
    // Build rows whose `NOT IN` key is NULL, cloned apart (they are few, or the
    // subquery's answer is NULL for every probe anyway) and indexed by the other keys.
    let mut null_ids = Vec::new();
    let mut null_rows = Vec::new();
    for (ri, r) in right.iter().enumerate() {
        if ctx.eval(y, r, outer)?.is_null() {
            null_ids.push(ri);
            null_rows.push(r.clone());
        }
    }
    let mut by_key = JoinIndex::build(ctx, &right, equi, spec.widths, outer)?;
    // `None`: no other keys, so every build row (every NULL-key row) is a candidate.
    let mut by_rest = match rest.is_empty() {
        true => None,
        false => Some(JoinIndex::build(ctx, &right, rest, spec.widths, outer)?),
    };
    let mut nulls_by_rest = match rest.is_empty() {
        true => None,
        false => Some(JoinIndex::build(ctx, &null_rows, rest, spec.widths, outer)?),
    };
    let (mut cands, mut found) = (Vec::new(), Vec::new());
    for_each(left, ctx, outer, &mut |l| {
        ctx.check_cancel()?;
        cands.clear();
        if ctx.eval(x, &l, outer)?.is_null() {
            match by_rest.as_mut() {
                Some(index) => index.probe(ctx, &l, outer, &mut cands)?,
                None => cands.extend(0..right.len()),
            }
        } else {
            by_key.probe(ctx, &l, outer, &mut cands)?;
            match nulls_by_rest.as_mut() {
                Some(index) => {
                    index.probe(ctx, &l, outer, &mut found)?;
                    cands.extend(found.iter().filter_map(|&i| null_ids.get(i).copied()));
                }
                None => cands.extend_from_slice(&null_ids),
            }
        }
        for &ri in &cands {
            if passes(ctx, spec.on, &l, &right[ri], outer)? {
                return Ok(true);
            }
        }
        sink(l)
    })
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
