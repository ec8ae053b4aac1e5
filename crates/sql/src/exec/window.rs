//! Window functions: partitions, ordering, peers and ROWS / RANGE / GROUPS frames.

use std::cmp::Ordering;

use helios_common::{Error, Result, SqlState};
use helios_types::Value;
use sqlparser::ast;

use super::aggregate::run_aggregate;
use super::context::{ExecCtx, Row};
use super::pg_sort::pg_sort_by;
use super::sort::compare_rows;
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

/// A frame offset: a constant non-negative integer (`2`, `2::int8`, `(1 + 1)`).
fn offset(e: &Option<Box<ast::Expr>>) -> Result<Option<usize>> {
    let Some(e) = e else { return Ok(None) };
    if let ast::Expr::Value(v) = e.as_ref() {
        if let ast::Value::Number(n, _) = &v.value {
            if let Ok(k) = n.parse::<usize>() {
                return Ok(Some(k));
            }
        }
    }
    let k = match constant_offset(e)? {
        Value::Int2(k) => i64::from(k),
        Value::Int4(k) => i64::from(k),
        Value::Int8(k) => k,
        Value::Null => {
            return Err(Error::new(
                SqlState::from_code("22004"),
                "frame starting offset must not be null",
            ))
        }
        _ => return Err(Error::unsupported("window frame offsets that are not integers")),
    };
    usize::try_from(k).map(Some).map_err(|_| {
        Error::new(SqlState::from_code("22013"), "frame starting offset must not be negative")
    })
}

/// The value of a constant frame offset expression; offsets reading the query's rows
/// or subqueries are not supported.
fn constant_offset(e: &ast::Expr) -> Result<Value> {
    // The parser reads a bare string offset (`'inf' PRECEDING`) as an interval literal;
    // it is an untyped constant, taken as the sort key's type.
    if let ast::Expr::Interval(iv) = e {
        if iv.leading_field.is_none() && iv.last_field.is_none() {
            if let ast::Expr::Value(v) = iv.value.as_ref() {
                if let ast::Value::SingleQuotedString(text) = &v.value {
                    return Ok(Value::Text(text.clone()));
                }
            }
        }
    }
    crate::expr::eval_constant(&e.to_string()).map(|(v, _)| v).map_err(|err| {
        if err.sqlstate() == SqlState::UNDEFINED_COLUMN || err.sqlstate().code() == "XX000" {
            Error::unsupported("window frame offsets that are not constants")
        } else {
            err
        }
    })
}

/// A RANGE offset as a number (a constant: `1`, `1.1::float4`, `'inf'`); NaN and
/// negative offsets are 22013.
fn range_offset(e: &Option<Box<ast::Expr>>) -> Result<f64> {
    let Some(e) = e.as_deref() else { return Err(Error::unsupported("this RANGE offset")) };
    let v = constant_offset(e)?;
    let k = match &v {
        Value::Text(t) => t.trim().parse::<f64>().ok(),
        Value::Null => {
            return Err(Error::new(
                SqlState::from_code("22004"),
                "frame starting offset must not be null",
            ))
        }
        other => key_f64(other),
    };
    let Some(k) = k else {
        return Err(Error::unsupported(format!("RANGE offsets of type {}", v.data_type())));
    };
    if k.is_nan() || k < 0.0 {
        return Err(Error::new(
            SqlState::from_code("22013"),
            "invalid preceding or following size in window function",
        ));
    }
    Ok(k)
}

fn key_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int2(x) => Some(f64::from(*x)),
        Value::Int4(x) => Some(f64::from(*x)),
        Value::Int8(x) => Some(*x as f64),
        Value::Float4(x) => Some(f64::from(*x)),
        Value::Float8(x) => Some(*x),
        Value::Numeric(_) => match v.cast(&helios_types::DataType::Float8) {
            Ok(Value::Float8(x)) => Some(x),
            _ => None,
        },
        _ => None,
    }
}

/// The frame of row `i` of a sorted partition of `n` rows, as a half-open range.
/// `keys` are the rows' ORDER BY values (for RANGE offsets), `asc` the direction of the
/// first key.
#[allow(clippy::too_many_arguments)]
fn frame(
    frame: Option<&ast::WindowFrame>,
    i: usize,
    n: usize,
    peers: &[(usize, usize)],
    has_order: bool,
    keys: &[Vec<Value>],
    asc: bool,
) -> Result<(usize, usize)> {
    let Some(f) = frame else {
        return Ok(if has_order { (0, peers[i].1) } else { (0, n) });
    };
    let (peer_lo, peer_hi) = peers[i];
    let end = f.end_bound.clone().unwrap_or(ast::WindowFrameBound::CurrentRow);
    let bound = |b: &ast::WindowFrameBound, is_start: bool| -> Result<usize> {
        Ok(match (&f.units, b) {
            (_, ast::WindowFrameBound::Preceding(None)) => 0,
            (_, ast::WindowFrameBound::Following(None)) => n,
            (ast::WindowFrameUnits::Rows, ast::WindowFrameBound::CurrentRow) => {
                if is_start {
                    i
                } else {
                    i + 1
                }
            }
            (_, ast::WindowFrameBound::CurrentRow) => {
                if is_start {
                    peer_lo
                } else {
                    peer_hi
                }
            }
            (ast::WindowFrameUnits::Rows, ast::WindowFrameBound::Preceding(o)) => {
                let k = offset(o)?.unwrap_or(0);
                if is_start {
                    i.saturating_sub(k)
                } else {
                    (i + 1).saturating_sub(k)
                }
            }
            (ast::WindowFrameUnits::Rows, ast::WindowFrameBound::Following(o)) => {
                let k = offset(o)?.unwrap_or(0);
                if is_start {
                    (i + k).min(n)
                } else {
                    (i + k + 1).min(n)
                }
            }
            (ast::WindowFrameUnits::Groups, ast::WindowFrameBound::Preceding(o))
            | (ast::WindowFrameUnits::Groups, ast::WindowFrameBound::Following(o)) => {
                let k = offset(o)?.unwrap_or(0);
                let forward = matches!(b, ast::WindowFrameBound::Following(_));
                // Walk k peer groups from the current one.
                let mut lo = peer_lo;
                let mut hi = peer_hi;
                for _ in 0..k {
                    if forward {
                        if hi >= n {
                            lo = n;
                            break;
                        }
                        lo = hi;
                        hi = peers[hi].1;
                    } else {
                        if lo == 0 {
                            hi = 0;
                            break;
                        }
                        hi = lo;
                        lo = peers[lo - 1].0;
                    }
                }
                if is_start {
                    lo
                } else {
                    hi
                }
            }
            (
                ast::WindowFrameUnits::Range,
                ast::WindowFrameBound::Preceding(o) | ast::WindowFrameBound::Following(o),
            ) => {
                let k = range_offset(o)?;
                if k < 0.0 {
                    return Err(Error::new(
                        SqlState::from_code("22013"),
                        "invalid preceding or following size in window function",
                    ));
                }
                let cur = keys[i].first().and_then(key_f64);
                let Some(cur) = cur else {
                    return Ok(if is_start { peer_lo } else { peer_hi });
                };
                // The bound value in sort order: PRECEDING moves against the sort.
                let forward = matches!(b, ast::WindowFrameBound::Following(_));
                let target = if forward == asc { cur + k } else { cur - k };
                let before = |j: usize| -> bool {
                    // Whether row j sorts strictly before the bound value.
                    match keys[j].first().and_then(key_f64) {
                        None => false,
                        Some(x) => {
                            if asc {
                                x < target
                            } else {
                                x > target
                            }
                        }
                    }
                };
                let after = |j: usize| -> bool {
                    match keys[j].first().and_then(key_f64) {
                        None => true,
                        Some(x) => {
                            if asc {
                                x > target
                            } else {
                                x < target
                            }
                        }
                    }
                };
                if is_start {
                    (0..n).find(|j| !before(*j)).unwrap_or(n)
                } else {
                    (0..n).find(|j| after(*j)).unwrap_or(n)
                }
            }
        })
    };
    let s = bound(&f.start_bound, true)?;
    let e = bound(&end, false)?;
    Ok((s, e.max(s)))
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
        let sorted_keys: Vec<Vec<Value>> = sorted.iter().map(|(k, _)| k.clone()).collect();
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
                    let (s, e) = frame(
                        call.frame.as_ref(),
                        j,
                        n,
                        &peers,
                        !keys.is_empty(),
                        &sorted_keys,
                        keys.first().is_none_or(|k| k.asc),
                    )?;
                    let pick = match call.func {
                        WindowFunc::FirstValue => (s < e).then_some(s),
                        WindowFunc::LastValue => (s < e).then(|| e - 1),
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
                            let idx = s + nth as usize - 1;
                            (idx < e).then_some(idx)
                        }
                    };
                    match (pick, call.args.first()) {
                        (Some(p), Some(a)) => ctx.eval(a, part_rows[p], outer)?,
                        _ => Value::Null,
                    }
                }
                WindowFunc::Aggregate(func) => {
                    let (s, e) = frame(
                        call.frame.as_ref(),
                        j,
                        n,
                        &peers,
                        !keys.is_empty(),
                        &sorted_keys,
                        keys.first().is_none_or(|k| k.asc),
                    )?;
                    let agg = AggregateCall {
                        func: *func,
                        args: call.args.clone(),
                        distinct: false,
                        filter: call.filter.clone(),
                        order_by: Vec::new(),
                        ty: call.ty.clone(),
                        user: call.user.clone(),
                    };
                    run_aggregate(ctx, &agg, &part_rows[s..e], outer)?
                }
            };
            result[sorted[j].1] = v;
        }
    }
    Ok((result, order))
}
