//! Window functions: partitions, ordering and peers; the frames are in `window_frame`.

use std::cmp::Ordering;

use helios_common::{Error, Result, SqlState};
use helios_types::Value;

use super::aggregate::run_aggregate;
use super::context::{ExecCtx, Row};
use super::pg_sort::pg_sort_by;
use super::sort::compare_rows;
use super::window_frame::Frame;
use crate::expr::{AggregateCall, WindowCall};
use crate::functions::window::WindowFunc;
use crate::planner::SortKey;

/// Appends one column per window call to every row. Like PostgreSQL, the rows come out
/// in the order the window was evaluated in: sorted by its PARTITION BY keys, then its
/// ORDER BY keys (with several windows, the one with the fewest keys, which PostgreSQL
/// evaluates last; windows without keys do not sort).
pub fn window(
    ctx: &ExecCtx<'_>,
    rows: Vec<Row>,
    calls: &[WindowCall],
    outer: &[Value],
) -> Result<Vec<Row>> {
    let mut extra: Vec<Vec<Value>> = vec![Vec::with_capacity(calls.len()); rows.len()];
    let mut last: Option<(usize, Vec<usize>)> = None;
    for call in calls {
        let (values, order) = compute(ctx, &rows, call, outer)?;
        for (i, v) in values.into_iter().enumerate() {
            extra[i].push(v);
        }
        // A window without keys sorts nothing: the order stays that of the others.
        let keys = call.partition_by.len() + call.order_by.len();
        if keys > 0 && last.as_ref().is_none_or(|(k, _)| keys < *k) {
            last = Some((keys, order));
        }
    }
    let mut slots: Vec<Option<Row>> = rows
        .into_iter()
        .zip(extra)
        .map(|(mut r, e)| {
            r.extend(e);
            Some(r)
        })
        .collect();
    Ok(match last {
        Some((_, order)) => order.into_iter().filter_map(|i| slots[i].take()).collect(),
        None => slots.into_iter().flatten().collect(),
    })
}

fn compute(
    ctx: &ExecCtx<'_>,
    rows: &[Row],
    call: &WindowCall,
    outer: &[Value],
) -> Result<(Vec<Value>, Vec<usize>)> {
    // Sort every row by (PARTITION BY keys ascending, NULLs last; ORDER BY keys); the
    // partitions are then runs of equal partition keys. PostgreSQL's sort: ties in its
    // order.
    let part_keys: Vec<SortKey> = call
        .partition_by
        .iter()
        .map(|e| SortKey { expr: e.clone(), asc: true, nulls_first: false })
        .collect();
    let keys: Vec<SortKey> = call
        .order_by
        .iter()
        .map(|s| SortKey { expr: s.expr.clone(), asc: s.asc, nulls_first: s.nulls_first })
        .collect();
    let mut all: Vec<(Vec<Value>, Vec<Value>, usize)> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let mut p = Vec::with_capacity(part_keys.len());
        for k in &part_keys {
            p.push(ctx.eval(&k.expr, r, outer)?);
        }
        let mut o = Vec::with_capacity(keys.len());
        for k in &keys {
            o.push(ctx.eval(&k.expr, r, outer)?);
        }
        all.push((p, o, i));
    }
    pg_sort_by(&mut all, |a, b| {
        compare_rows(&a.0, &b.0, &part_keys).then_with(|| compare_rows(&a.1, &b.1, &keys))
    });
    let order: Vec<usize> = all.iter().map(|(_, _, i)| *i).collect();
    let uses_frame = matches!(
        call.func,
        WindowFunc::FirstValue
            | WindowFunc::LastValue
            | WindowFunc::NthValue
            | WindowFunc::Aggregate(_)
    );
    let frame = if uses_frame { Some(Frame::resolve(ctx, call, outer)?) } else { None };
    let mut result = vec![Value::Null; rows.len()];
    let mut start = 0;
    while start < all.len() {
        let mut end = start + 1;
        while end < all.len()
            && compare_rows(&all[end].0, &all[start].0, &part_keys) == Ordering::Equal
        {
            end += 1;
        }
        let sorted: Vec<(Vec<Value>, usize)> =
            all[start..end].iter().map(|(_, o, i)| (o.clone(), *i)).collect();
        start = end;
        let n = sorted.len();
        // Peer groups: rows equal in the ORDER BY keys.
        let mut peers = vec![(0, 0); n];
        let mut start = 0;
        for j in 1..=n {
            if j == n || compare_rows(&sorted[j].0, &sorted[start].0, &keys) != Ordering::Equal {
                for p in peers.iter_mut().take(j).skip(start) {
                    *p = (start, j);
                }
                start = j;
            }
        }
        let part_rows: Vec<&Row> = sorted.iter().map(|(_, i)| &rows[*i]).collect();
        let first_keys: Vec<Value> =
            sorted.iter().map(|(k, _)| k.first().cloned().unwrap_or(Value::Null)).collect();
        let mut dense = 0usize;
        for j in 0..n {
            if j == 0 || peers[j].0 == j {
                dense += 1;
            }
            let row = part_rows[j];
            let arg = |k: usize| -> Result<Value> {
                match call.args.get(k) {
                    Some(a) => ctx.eval(a, row, outer),
                    None => Ok(Value::Null),
                }
            };
            let v = match &call.func {
                WindowFunc::RowNumber => Value::Int8(j as i64 + 1),
                WindowFunc::Rank => Value::Int8(peers[j].0 as i64 + 1),
                WindowFunc::DenseRank => Value::Int8(dense as i64),
                WindowFunc::PercentRank => {
                    Value::Float8(if n <= 1 { 0.0 } else { peers[j].0 as f64 / (n - 1) as f64 })
                }
                WindowFunc::CumeDist => Value::Float8(peers[j].1 as f64 / n as f64),
                WindowFunc::Ntile => match arg(0)? {
                    Value::Null => Value::Null,
                    v => {
                        let buckets = match v {
                            Value::Int4(b) => i64::from(b),
                            Value::Int8(b) => b,
                            Value::Int2(b) => i64::from(b),
                            _ => 1,
                        };
                        if buckets <= 0 {
                            return Err(Error::new(
                                SqlState::from_code("22014"),
                                "argument of ntile must be greater than zero",
                            ));
                        }
                        let b = buckets as usize;
                        let (q, r) = (n / b, n % b);
                        // The first r buckets have q + 1 rows.
                        let big = r * (q + 1);
                        let bucket = if j < big { j / (q + 1) } else { r + (j - big) / q.max(1) };
                        Value::Int4(bucket as i32 + 1)
                    }
                },
                WindowFunc::Lag | WindowFunc::Lead => {
                    let k = match call.args.get(1) {
                        Some(a) => match ctx.eval(a, row, outer)? {
                            Value::Int4(x) => i64::from(x),
                            Value::Int8(x) => x,
                            Value::Null => {
                                result[sorted[j].1] = Value::Null;
                                continue;
                            }
                            _ => 1,
                        },
                        None => 1,
                    };
                    let target = if matches!(call.func, WindowFunc::Lag) {
                        j as i64 - k
                    } else {
                        j as i64 + k
                    };
                    if target >= 0 && (target as usize) < n {
                        match call.args.first() {
                            Some(a) => ctx.eval(a, part_rows[target as usize], outer)?,
                            None => Value::Null,
                        }
                    } else {
                        arg(2)?
                    }
                }
                WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => {
                    let members = match &frame {
                        Some(f) => f.rows(j, &peers, &first_keys)?,
                        None => Vec::new(),
                    };
                    let pick = match call.func {
                        WindowFunc::FirstValue => members.first().copied(),
                        WindowFunc::LastValue => members.last().copied(),
                        _ => {
                            let nth = match call.args.get(1) {
                                Some(a) => match ctx.eval(a, row, outer)? {
                                    Value::Int4(x) => i64::from(x),
                                    Value::Int8(x) => x,
                                    _ => 1,
                                },
                                None => 1,
                            };
                            if nth <= 0 {
                                return Err(Error::new(
                                    SqlState::from_code("22016"),
                                    "argument of nth_value must be greater than zero",
                                ));
                            }
                            usize::try_from(nth - 1).ok().and_then(|k| members.get(k).copied())
                        }
                    };
                    match (pick, call.args.first()) {
                        (Some(p), Some(a)) => ctx.eval(a, part_rows[p], outer)?,
                        _ => Value::Null,
                    }
                }
                WindowFunc::Aggregate(func) => {
                    let members = match &frame {
                        Some(f) => f.rows(j, &peers, &first_keys)?,
                        None => Vec::new(),
                    };
                    let frame_rows: Vec<&Row> = members.iter().map(|&m| part_rows[m]).collect();
                    let agg = AggregateCall {
                        func: *func,
                        args: call.args.clone(),
                        distinct: false,
                        filter: call.filter.clone(),
                        order_by: Vec::new(),
                        ty: call.ty.clone(),
                        user: call.user.clone(),
                    };
                    run_aggregate(ctx, &agg, &frame_rows, outer)?
                }
            };
            result[sorted[j].1] = v;
        }
    }
    Ok((result, order))
}
