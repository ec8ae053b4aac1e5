//! Sorting (with top-K when the optimizer knows the limit).

use std::cmp::Ordering;

use helios_common::Result;
use helios_types::Value;

use super::context::{ExecCtx, Row};
use crate::planner::SortKey;

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

/// Sorts rows by `keys`; with `limit`, only the first `limit` rows are kept.
pub fn sort(
    ctx: &ExecCtx<'_>,
    rows: Vec<Row>,
    keys: &[SortKey],
    limit: Option<usize>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut keyed: Vec<(Vec<Value>, Row)> = Vec::with_capacity(rows.len());
    for r in rows {
        let mut k = Vec::with_capacity(keys.len());
        for key in keys {
            k.push(ctx.eval(&key.expr, &r, outer)?);
        }
        keyed.push((k, r));
    }
    if let Some(n) = limit {
        if n < keyed.len() {
            if n == 0 {
                return Ok(Vec::new());
            }
            keyed.select_nth_unstable_by(n - 1, |a, b| compare_rows(&a.0, &b.0, keys));
            keyed.truncate(n);
        }
    }
    keyed.sort_by(|a, b| compare_rows(&a.0, &b.0, keys));
    Ok(keyed.into_iter().map(|(_, r)| r).collect())
}
