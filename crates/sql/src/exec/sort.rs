//! Sorting (with top-K when the optimizer knows the limit), with PostgreSQL's sort
//! algorithm so ties come out in its order (see [`super::pg_sort`]).

use std::cmp::Ordering;

use helios_common::Result;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use super::pg_sort::pg_sort_by;
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

/// Sorts the rows of `input` by `keys`; with `limit`, only the first `limit` rows are
/// kept (the buffer is cut back to them whenever it reaches twice that).
pub fn sort(
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
