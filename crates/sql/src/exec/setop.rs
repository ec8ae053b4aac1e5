//! DISTINCT, DISTINCT ON, UNION/INTERSECT/EXCEPT [ALL] and recursive WITH.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use helios_common::{Error, Result};
use helios_types::{HashableValue, Value};

use super::context::{ExecCtx, Row};
use crate::expr::Expr;
use crate::planner::{Plan, SetOpKind};

/// A row as a hash key: NULLs equal each other, values equal by PostgreSQL equality.
pub fn row_key(row: &[Value]) -> Vec<HashableValue> {
    row.iter().cloned().map(HashableValue).collect()
}

/// DISTINCT (whole rows) or DISTINCT ON (first row per key, in input order).
pub fn distinct(
    ctx: &ExecCtx<'_>,
    rows: Vec<Row>,
    on: Option<&[Expr]>,
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in rows {
        let key = match on {
            None => row_key(&r),
            Some(exprs) => {
                let mut k = Vec::with_capacity(exprs.len());
                for e in exprs {
                    k.push(HashableValue(ctx.eval(e, &r, outer)?));
                }
                k
            }
        };
        if seen.insert(key) {
            out.push(r);
        }
    }
    Ok(out)
}

/// UNION / INTERSECT / EXCEPT with SQL's set or multiset (ALL) semantics.
pub fn set_operation(left: Vec<Row>, right: Vec<Row>, op: SetOpKind, all: bool) -> Vec<Row> {
    match (op, all) {
        (SetOpKind::Union, true) => {
            let mut l = left;
            l.extend(right);
            l
        }
        (SetOpKind::Union, false) => {
            let mut seen = HashSet::new();
            left.into_iter().chain(right).filter(|r| seen.insert(row_key(r))).collect()
        }
        (SetOpKind::Intersect, _) | (SetOpKind::Except, _) => {
            let mut counts: HashMap<Vec<HashableValue>, usize> = HashMap::new();
            for r in &right {
                *counts.entry(row_key(r)).or_default() += 1;
            }
            let mut emitted: HashSet<Vec<HashableValue>> = HashSet::new();
            let mut out = Vec::new();
            for r in left {
                let k = row_key(&r);
                let c = counts.get(&k).copied().unwrap_or(0);
                let keep = match (op, all) {
                    (SetOpKind::Intersect, true) => {
                        if c > 0 {
                            counts.insert(k.clone(), c - 1);
                            true
                        } else {
                            false
                        }
                    }
                    (SetOpKind::Intersect, false) => c > 0 && emitted.insert(k),
                    (SetOpKind::Except, true) => {
                        if c > 0 {
                            counts.insert(k.clone(), c - 1);
                            false
                        } else {
                            true
                        }
                    }
                    _ => c == 0 && emitted.insert(k),
                };
                if keep {
                    out.push(r);
                }
            }
            out
        }
    }
}

/// The maximum number of iterations of a recursive WITH before we give up.
const MAX_RECURSION: usize = 1_000_000;

/// `WITH RECURSIVE`: base rows, then the recursive term over the previous iteration's
/// new rows until none are produced (UNION drops rows already seen). Rows go to `sink`
/// as each iteration produces them, so a consumer that stops (a LIMIT) ends the
/// recursion, as PostgreSQL's lazy evaluation does: `WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT *
/// FROM t LIMIT 10` terminates. Returns false when the sink stopped it.
pub fn recursive_union_each(
    ctx: &ExecCtx<'_>,
    id: usize,
    base: &Plan,
    recursive: &Plan,
    all: bool,
    outer: &[Value],
    sink: &mut dyn FnMut(Row) -> Result<bool>,
) -> Result<bool> {
    // WITH queries cached while the recursive term runs may read the work table (a
    // CTE nested in the recursive term); they must be recomputed every iteration, and
    // are dropped when the recursion ends however it ends.
    let cached_before: HashSet<usize> = ctx.ctes.borrow().keys().copied().collect();
    let finished = recurse(ctx, id, base, recursive, all, outer, &cached_before, sink);
    ctx.work.borrow_mut().remove(&id);
    ctx.ctes.borrow_mut().retain(|k, _| cached_before.contains(k));
    finished
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    ctx: &ExecCtx<'_>,
    id: usize,
    base: &Plan,
    recursive: &Plan,
    all: bool,
    outer: &[Value],
    cached_before: &HashSet<usize>,
    sink: &mut dyn FnMut(Row) -> Result<bool>,
) -> Result<bool> {
    let mut seen: HashSet<Vec<HashableValue>> = HashSet::new();
    // Each term streams: a new row goes to the sink at once and is kept for the next
    // iteration, so a consumer that stops also stops a recursive term that would
    // never end by itself (a nested recursive WITH).
    let mut frontier = Vec::new();
    let mut term = |plan: &Plan, frontier: &mut Vec<Row>| {
        super::stream::for_each(plan, ctx, outer, &mut |r| {
            if !all && !seen.insert(row_key(&r)) {
                return Ok(true);
            }
            frontier.push(r.clone());
            sink(r)
        })
    };
    if !term(base, &mut frontier)? {
        return Ok(false);
    }
    let mut iterations = 0;
    while !frontier.is_empty() {
        ctx.ctes.borrow_mut().retain(|k, _| cached_before.contains(k));
        iterations += 1;
        if iterations > MAX_RECURSION {
            return Err(Error::new(
                helios_common::SqlState::PROGRAM_LIMIT_EXCEEDED,
                "recursive query did not terminate",
            ));
        }
        ctx.check_cancel()?;
        ctx.work.borrow_mut().insert(id, Rc::new(std::mem::take(&mut frontier)));
        if !term(recursive, &mut frontier)? {
            return Ok(false);
        }
    }
    Ok(true)
}
