//! Sorting (with top-K when the optimizer knows the limit), with PostgreSQL's sort
//! algorithm so ties come out in its order (see [`super::pg_sort`]). A sort without a
//! limit holds at most `work_mem` and merges sorted runs from temporary files beyond
//! that (see [`super::external_sort`]).

use std::cmp::Ordering;

use helios_common::Result;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::external_sort::ExternalSort;
use super::pg_sort::pg_sort_by;
use super::stream::Sink;
use crate::planner::{Plan, SortKey};

/// Compares two lists of key values under the sort keys' directions and NULL placement.
pub fn compare_rows(a: &[Value], b: &[Value], keys: &[SortKey]) -> Ordering {
    for ((x, y), k) in a.iter().zip(b).zip(keys) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.pg_cmp(y).unwrap_or(Ordering::Equal);
                if k.asc {
                    o
                } else {
                    o.reverse()
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Sorts the rows of `input` by `keys`, passing them to `sink` in order; false when the
/// sink stopped them. With `limit`, only the first `limit` rows are kept (the buffer is
/// cut back to them whenever it reaches twice that); without, the sort spills sorted
/// runs to temporary files past the session's `work_mem`.
pub fn sort_each(
    ctx: &ExecCtx<'_>,
    input: &Plan,
    keys: &[SortKey],
    limit: Option<usize>,
    outer: &[Value],
    sink: &mut Sink<'_>,
) -> Result<bool> {
    if limit.is_some() {
        return super::scan::feed(top_k(ctx, input, keys, limit, outer)?, sink);
    }
    let budget = crate::session::work_mem_bytes(ctx.session);
    // Outside a session (no storage at hand) runs are sealed, as for an encrypted
    // database.
    let seal = ctx.session.helios.as_ref().is_none_or(|h| h.engine.storage.is_encrypted());
    let mut sorter = ExternalSort::new(keys, budget, seal).with_cancel(ctx.cancel);
    super::stream::for_each(input, ctx, outer, &mut |r| {
        let mut k = Vec::with_capacity(keys.len());
        for key in keys {
            k.push(ctx.eval(&key.expr, &r, outer)?);
        }
        sorter.push(k, r)?;
        Ok(true)
    })?;
    ctx.check_cancel()?;
    sorter.finish(sink)
}

/// The first `limit` rows of `input` by `keys`, all in memory.
fn top_k(
    ctx: &ExecCtx<'_>,
    input: &Plan,
    keys: &[SortKey],
    limit: Option<usize>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    if limit == Some(0) {
        return Ok(Vec::new());
    }
    let mut keyed: Vec<(Vec<Value>, Row)> = Vec::new();
    let cmp = |a: &(Vec<Value>, Row), b: &(Vec<Value>, Row)| compare_rows(&a.0, &b.0, keys);
    super::stream::for_each(input, ctx, outer, &mut |r| {
        let mut k = Vec::with_capacity(keys.len());
        for key in keys {
            k.push(ctx.eval(&key.expr, &r, outer)?);
        }
        keyed.push((k, r));
        if let Some(n) = limit {
            if keyed.len() >= n.saturating_mul(2).max(1024) {
                // Keep the first n.
                pg_sort_by(&mut keyed, cmp);
                keyed.truncate(n);
            }
        }
        Ok(true)
    })?;
    pg_sort_by(&mut keyed, cmp);
    if let Some(n) = limit {
        keyed.truncate(n);
    }
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}
