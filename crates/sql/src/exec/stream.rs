//! Streaming execution: scans, filters, projections, joins (probe side) and LIMIT pass
//! rows one at a time to a sink instead of building a vector per operator, so a chain
//! like scan → join → aggregate holds no intermediate result, and a LIMIT stops the
//! scan below it as soon as it has its rows.
//!
//! A sink returns `Ok(false)` to stop; [`for_each`] then returns `Ok(false)` too.
//! Operators that must see their whole input (aggregate, window, set operations) run
//! through [`super::execute`] and feed their result to the sink. A sort sees its whole
//! input too, but hands its rows out one at a time as it merges them, so a sort that
//! spilled to temporary files never holds all its rows (see [`super::external_sort`]).
//!
//! Scans, filters, projections and LIMIT can also lend their rows ([`for_each_lent`]):
//! the scan decodes every row into the same vector and a projection builds its output
//! in the same vector every time, so a consumer that only reads each row (a client
//! receiving a query's result one row at a time, an aggregate) costs no allocation per
//! row. [`for_each`] takes each lent row out of its buffer.

use helios_common::{Error, Result};
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::scan::{self, TableScan};
use super::{join, operators, setop, sort};
use crate::expr::Expr;
use crate::planner::Plan;

/// Receives rows; returns false to stop the producer.
pub type Sink<'s> = dyn FnMut(Row) -> Result<bool> + 's;

/// Receives lent rows; returns false to stop the producer. The sink may read the row,
/// take it (`std::mem::take`) to keep it, or change its values; the producer overwrites
/// whatever it left with the next row.
pub type LentSink<'s> = dyn FnMut(&mut Row) -> Result<bool> + 's;

/// Runs `plan`, passing each of its rows to `sink`; false when the sink stopped it.
pub fn for_each(
    plan: &Plan,
    ctx: &ExecCtx<'_>,
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    match plan {
        Plan::Scan { .. } | Plan::Filter { .. } | Plan::Project { .. } | Plan::Limit { .. } => {
            for_each_lent(plan, ctx, outer, &mut |r| sink(std::mem::take(r)))
        }
        Plan::LockRows { input, tables, schema } => {
            super::row_locks::lock_each(ctx, input, tables, schema.len(), outer, sink)
        }
        Plan::Join { left, right, kind, on, equi, lateral: false, .. } => {
            let r = operators::execute(right, ctx, outer)?;
            let widths = (left.width(), right.width());
            let join = join::JoinSpec { kind: *kind, on: on.as_ref(), widths };
            if equi.is_empty() {
                join::nested_loop_each(ctx, left, r, &join, outer, sink)
            } else {
                join::hash_join_each(ctx, left, r, &join, equi, outer, sink)
            }
        }
        Plan::RecursiveUnion { id, base, recursive, all, .. } => {
            setop::recursive_union_each(ctx, *id, base, recursive, *all, outer, sink)
        }
        Plan::CteScan { id, outer_skip, .. } => cte_scan(ctx, *id, *outer_skip, outer, sink),
        Plan::Sort { input, keys, limit } => sort::sort_each(ctx, input, keys, *limit, outer, sink),
        Plan::Append { inputs, .. } => {
            for input in inputs {
                if !for_each(input, ctx, outer, sink)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        other => scan::feed(operators::execute(other, ctx, outer)?, sink),
    }
}

/// Runs `plan`, lending each of its rows to `sink` (see [`LentSink`]); false when the
/// sink stopped it. Scans, filters, projections and LIMIT lend rows from buffers they
/// reuse; other operators lend the rows they produce one by one.
pub fn for_each_lent(
    plan: &Plan,
    ctx: &ExecCtx<'_>,
    outer: &[Value],
    sink: &mut LentSink<'_>,
) -> Result<bool> {
    match plan {
        Plan::Scan { table, access, filter, with_key, needed, .. } => {
            ctx.check_cancel()?;
            let s = TableScan {
                table,
                access,
                filter: filter.as_ref(),
                with_key: *with_key,
                needed: needed.as_deref(),
            };
            scan::scan_each(ctx, &s, outer, sink)
        }
        Plan::Filter { input, predicate } => for_each_lent(input, ctx, outer, &mut |r| {
            if ctx.eval_true(predicate, r, outer)? {
                sink(r)
            } else {
                Ok(true)
            }
        }),
        Plan::Project { input, exprs, .. } => {
            let mut o: Row = Vec::new();
            match moved_columns(exprs, input.width()) {
                // Distinct plain columns: move the values instead of cloning them.
                Some(cols) if cols.iter().copied().eq(0..input.width()) => {
                    for_each_lent(input, ctx, outer, sink)
                }
                Some(cols) => for_each_lent(input, ctx, outer, &mut |r| {
                    o.clear();
                    o.reserve_exact(cols.len());
                    o.extend(cols.iter().map(|&i| std::mem::replace(&mut r[i], Value::Null)));
                    let more = sink(&mut o)?;
                    // Give the values back, so that the input's buffers (text) serve its
                    // next row; nothing to give when the sink took the row.
                    if o.len() == cols.len() {
                        for (v, &i) in o.iter_mut().zip(&cols) {
                            std::mem::swap(&mut r[i], v);
                        }
                    }
                    Ok(more)
                }),
                None => for_each_lent(input, ctx, outer, &mut |r| {
                    o.clear();
                    o.reserve_exact(exprs.len());
                    for e in exprs {
                        o.push(ctx.eval(e, r, outer)?);
                    }
                    sink(&mut o)
                }),
            }
        }
        Plan::Limit { input, limit, offset } => {
            let limit = match limit {
                Some(e) => operators::count_value(ctx.eval(e, &[], outer)?, "LIMIT")?,
                None => None,
            };
            let offset = match offset {
                Some(e) => operators::count_value(ctx.eval(e, &[], outer)?, "OFFSET")?.unwrap_or(0),
                None => 0,
            };
            if limit == Some(0) {
                return Ok(true);
            }
            let (mut skipped, mut taken, mut stopped) = (0usize, 0usize, false);
            for_each_lent(input, ctx, outer, &mut |r| {
                if skipped < offset {
                    skipped += 1;
                    return Ok(true);
                }
                taken += 1;
                if !sink(r)? {
                    stopped = true;
                    return Ok(false);
                }
                Ok(limit.is_none_or(|l| taken < l))
            })?;
            Ok(!stopped)
        }
        other => for_each(other, ctx, outer, &mut |mut r| sink(&mut r)),
    }
}

/// The rows of WITH query `id`: from the statement's cache, or computed while they
/// stream to `sink` and cached when the sink took them all. A consumer that stops early
/// (a LIMIT over an unbounded recursive WITH) leaves nothing cached; another reference
/// to the same query computes it again. A correlated WITH query (`outer_skip`) runs on
/// the enclosing row every time and is never cached.
fn cte_scan(
    ctx: &ExecCtx<'_>,
    id: usize,
    outer_skip: Option<usize>,
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    let plan = ctx.query.ctes.get(id).ok_or_else(|| Error::internal("unknown WITH query"))?;
    if let Some(skip) = outer_skip {
        let enclosing = outer.get(skip..).ok_or_else(|| Error::internal("WITH query row"))?;
        return for_each(plan, ctx, enclosing, sink);
    }
    let cached = ctx.ctes.borrow().get(&id).cloned();
    if let Some(rows) = cached {
        return scan::feed(rows.as_ref().clone(), sink);
    }
    let mut kept = Vec::new();
    let finished = for_each(plan, ctx, &[], &mut |r| {
        kept.push(r.clone());
        sink(r)
    })?;
    if finished {
        ctx.ctes.borrow_mut().insert(id, std::rc::Rc::new(kept));
    }
    Ok(finished)
}

/// The input positions of a projection made only of distinct columns of its input
/// (`None` otherwise).
fn moved_columns(exprs: &[Expr], width: usize) -> Option<Vec<usize>> {
    let mut cols = Vec::with_capacity(exprs.len());
    for e in exprs {
        match e {
            Expr::Column(i, _) if *i < width => cols.push(*i),
            _ => return None,
        }
    }
    // Checked per statement: a short list is compared pairwise rather than through a
    // second allocation.
    let distinct = if cols.len() <= 16 {
        cols.iter().enumerate().all(|(k, c)| !cols[..k].contains(c))
    } else {
        let mut seen = vec![false; width];
        cols.iter().all(|&c| !std::mem::replace(&mut seen[c], true))
    };
    distinct.then_some(cols)
}

/// Runs a streaming node into a vector.
pub fn collect(plan: &Plan, ctx: &ExecCtx<'_>, outer: &[Value]) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for_each(plan, ctx, outer, &mut |r| {
        out.push(r);
        Ok(true)
    })?;
    Ok(out)
}
