//! The rows of a window frame: ROWS / RANGE / GROUPS bounds and EXCLUDE, as PostgreSQL
//! computes them.
//!
//! A partition is sorted; row `i`'s frame is the half-open range `[start, end)` of its
//! sorted rows, less the rows the exclusion removes:
//!
//! ```text
//!   rows:   0 1 2 [3 4 5] 6 7        peers of 4: [3, 6)
//!   ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING     -> [2, 6)
//!   ... EXCLUDE CURRENT ROW -> 2 3 5;  GROUP -> 2;  TIES -> 2 4
//! ```
//!
//! RANGE offsets move from the current row's ORDER BY value by the offset (PostgreSQL's
//! `in_range` rules: integers, numeric and floats with their infinities and NaN, dates,
//! times, timestamps and intervals with interval offsets); rows whose key is NULL are
//! peers of each other and outside every offset bound of a non-NULL row.

use std::cmp::Ordering;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Numeric, Value};
use sqlparser::ast;

use super::context::ExecCtx;
use crate::expr::window_frame::{FrameBound, FrameExclusion, WindowFrame};
use crate::expr::{BinaryOp, WindowCall};

/// One bound, with its offset evaluated.
#[derive(Clone, Debug)]
enum Bound {
    UnboundedPreceding,
    /// ROWS / GROUPS: a row or group count; RANGE: a value of the offset type.
    Preceding(Offset),
    CurrentRow,
    Following(Offset),
    UnboundedFollowing,
}

#[derive(Clone, Debug)]
enum Offset {
    Count(usize),
    Value(Value),
}

/// A window call's frame, ready to place rows.
#[derive(Clone, Debug)]
pub(super) struct Frame {
    units: ast::WindowFrameUnits,
    start: Bound,
    end: Bound,
    exclude: FrameExclusion,
    /// The first ORDER BY key's direction: ascending, NULLs first.
    asc: bool,
    nulls_first: bool,
}

impl Frame {
    /// The frame of `call` (PostgreSQL's default when it has none: RANGE UNBOUNDED
    /// PRECEDING to the current row's last peer). Offsets are evaluated and checked
    /// here, once.
    pub(super) fn resolve(ctx: &ExecCtx<'_>, call: &WindowCall, outer: &[Value]) -> Result<Frame> {
        let first = call.order_by.first();
        let asc = first.is_none_or(|k| k.asc);
        let nulls_first = first.is_some_and(|k| k.nulls_first);
        let Some(f) = &call.frame else {
            return Ok(Frame {
                units: ast::WindowFrameUnits::Range,
                start: Bound::UnboundedPreceding,
                end: Bound::CurrentRow,
                exclude: FrameExclusion::NoOthers,
                asc,
                nulls_first,
            });
        };
        let windowing = |msg: &str| Error::new(SqlState::from_code("42P20"), msg.to_string());
        if f.units == ast::WindowFrameUnits::Groups && call.order_by.is_empty() {
            return Err(windowing("GROUPS mode requires an ORDER BY clause"));
        }
        let has_offset = |b: &FrameBound| b.offset().is_some();
        let mut key_type = None;
        if f.units == ast::WindowFrameUnits::Range && (has_offset(&f.start) || has_offset(&f.end)) {
            if call.order_by.len() != 1 {
                return Err(windowing(
                    "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column",
                ));
            }
            key_type = Some(call.order_by[0].expr.data_type());
        }
        let start = bound(ctx, outer, f, &f.start, true, key_type.as_ref())?;
        let end = bound(ctx, outer, f, &f.end, false, key_type.as_ref())?;
        Ok(Frame { units: f.units, start, end, exclude: f.exclude, asc, nulls_first })
    }

    fn is_rows(&self) -> bool {
        self.units == ast::WindowFrameUnits::Rows
    }

    /// The sorted-partition positions in row `i`'s frame, in order. `peers[j]` is row
    /// j's peer group as a half-open range; `keys[j]` its first ORDER BY value.
    pub(super) fn rows(
        &self,
        i: usize,
        peers: &[(usize, usize)],
        keys: &[Value],
    ) -> Result<Vec<usize>> {
        let n = peers.len();
        let s = self.position(&self.start, true, i, peers, keys)?;
        let e = self.position(&self.end, false, i, peers, keys)?.max(s);
        let (plo, phi) = peers[i];
        let excluded = |j: usize| match self.exclude {
            FrameExclusion::NoOthers => false,
            FrameExclusion::CurrentRow => j == i,
            FrameExclusion::Group => (plo..phi).contains(&j),
            FrameExclusion::Ties => j != i && (plo..phi).contains(&j),
        };
        debug_assert!(e <= n);
        Ok((s..e).filter(|&j| !excluded(j)).collect())
    }

    /// Where a bound puts the frame's start (first row in) or end (first row after).
    fn position(
        &self,
        b: &Bound,
        is_start: bool,
        i: usize,
        peers: &[(usize, usize)],
        keys: &[Value],
    ) -> Result<usize> {
        let n = peers.len();
        let (plo, phi) = peers[i];
        Ok(match b {
            Bound::UnboundedPreceding => 0,
            Bound::UnboundedFollowing => n,
            Bound::CurrentRow => match (self.units, is_start) {
                (ast::WindowFrameUnits::Rows, true) => i,
                (ast::WindowFrameUnits::Rows, false) => i + 1,
                (_, true) => plo,
                (_, false) => phi,
            },
            Bound::Preceding(Offset::Count(k)) | Bound::Following(Offset::Count(k)) => {
                let forward = matches!(b, Bound::Following(_));
                if self.is_rows() {
                    // The bound row; `None` before the partition's first row.
                    let at = if forward { Some(i.saturating_add(*k)) } else { i.checked_sub(*k) };
                    match (at, is_start) {
                        (None, _) => 0,
                        (Some(r), true) => r.min(n),
                        (Some(r), false) => r.saturating_add(1).min(n),
                    }
                } else {
                    // GROUPS: walk k peer groups from the current one.
                    let (mut lo, mut hi) = (plo, phi);
                    for _ in 0..*k {
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
            }
            Bound::Preceding(Offset::Value(off)) | Bound::Following(Offset::Value(off)) => {
                let base = &keys[i];
                if base.is_null() {
                    return Ok(if is_start { plo } else { phi });
                }
                let preceding = matches!(b, Bound::Preceding(_));
                let sub = preceding == self.asc;
                let less = is_start != self.asc;
                // Rows in the bound's side form a suffix (start) or a prefix (end).
                let inside = |j: usize| -> Result<bool> {
                    let v = &keys[j];
                    if v.is_null() {
                        return Ok(self.nulls_first != is_start);
                    }
                    in_range(v, base, off, sub, less)
                };
                let mut first_out = n;
                for j in 0..n {
                    let inn = inside(j)?;
                    if is_start && inn {
                        return Ok(j);
                    }
                    if !is_start && !inn {
                        first_out = j;
                        break;
                    }
                }
                first_out
            }
        })
    }
}

/// One bound's offset evaluated and checked: a count for ROWS / GROUPS, a value of the
/// type PostgreSQL's `in_range` support takes for RANGE over `key_type`.
fn bound(
    ctx: &ExecCtx<'_>,
    outer: &[Value],
    f: &WindowFrame,
    b: &FrameBound,
    is_start: bool,
    key_type: Option<&DataType>,
) -> Result<Bound> {
    let (offset, following) = match b {
        FrameBound::CurrentRow => return Ok(Bound::CurrentRow),
        FrameBound::UnboundedPreceding => return Ok(Bound::UnboundedPreceding),
        FrameBound::UnboundedFollowing => return Ok(Bound::UnboundedFollowing),
        FrameBound::Preceding(e) => (e, false),
        FrameBound::Following(e) => (e, true),
    };
    let which = if is_start { "starting" } else { "ending" };
    let units = match f.units {
        ast::WindowFrameUnits::Rows => "ROWS",
        ast::WindowFrameUnits::Range => "RANGE",
        ast::WindowFrameUnits::Groups => "GROUPS",
    };
    let value = ctx.eval(offset, &[], outer)?;
    let ty = offset.data_type();
    if value.is_null() {
        return Err(Error::new(
            SqlState::from_code("22004"),
            format!("frame {which} offset must not be null"),
        ));
    }
    let offset = match key_type {
        None => {
            let k = match (&value, &ty) {
                (Value::Int2(k), _) => i64::from(*k),
                (Value::Int4(k), _) => i64::from(*k),
                (Value::Int8(k), _) => *k,
                (Value::Text(t), _) => t.trim().parse::<i64>().map_err(|_| {
                    Error::new(
                        SqlState::INVALID_TEXT_REPRESENTATION,
                        format!("invalid input syntax for type bigint: \"{t}\""),
                    )
                })?,
                (_, ty) => {
                    return Err(Error::new(
                        SqlState::DATATYPE_MISMATCH,
                        format!(
                            "argument of {units} must be type bigint, not type {}",
                            crate::expr::types::pg_type_name(ty)
                        ),
                    ))
                }
            };
            let k = usize::try_from(k).map_err(|_| {
                Error::new(
                    SqlState::from_code("22013"),
                    format!("frame {which} offset must not be negative"),
                )
            })?;
            Offset::Count(k)
        }
        Some(key) => {
            let v = range_offset_value(key, value, &ty)?;
            if negative(&v) {
                return Err(Error::new(
                    SqlState::from_code("22013"),
                    "invalid preceding or following size in window function",
                ));
            }
            Offset::Value(v)
        }
    };
    Ok(if following { Bound::Following(offset) } else { Bound::Preceding(offset) })
}

/// A RANGE offset converted to the offset type `in_range` takes for the key type;
/// 0A000 (as PostgreSQL) when there is no such support function.
fn range_offset_value(key: &DataType, value: Value, ty: &DataType) -> Result<Value> {
    // PostgreSQL names the sort operator class's input type: text for varchar.
    let key_name = match key {
        DataType::Varchar(_) => "text".to_string(),
        other => crate::expr::types::pg_type_name(other),
    };
    let target = match key {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => DataType::Int8,
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Float4 | DataType::Float8 => DataType::Float8,
        DataType::Date
        | DataType::Time
        | DataType::TimeTz
        | DataType::Timestamp
        | DataType::TimestampTz
        | DataType::Interval => DataType::Interval,
        _ => {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!(
                "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {key_name}"
            ),
            ))
        }
    };
    let ints = matches!(ty, DataType::Int2 | DataType::Int4 | DataType::Int8);
    let fits = *ty == DataType::Unknown
        || match target {
            DataType::Int8 => ints,
            DataType::Numeric(_) => ints || matches!(ty, DataType::Numeric(_)),
            DataType::Float8 => {
                ints || matches!(ty, DataType::Numeric(_) | DataType::Float4 | DataType::Float8)
            }
            _ => *ty == DataType::Interval,
        };
    if !fits {
        return Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!(
                "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {key_name} and offset type {}",
                crate::expr::types::pg_type_name(ty)
            ),
        )
        .with_hint("Cast the offset value to an appropriate type."));
    }
    value.cast(&target)
}

/// Whether an offset is negative or NaN (both 22013).
fn negative(v: &Value) -> bool {
    match v {
        Value::Int8(k) => *k < 0,
        Value::Float8(x) => x.is_nan() || *x < 0.0,
        Value::Numeric(Numeric::NaN) => true,
        Value::Numeric(_) => as_f64(v) < 0.0,
        Value::Interval(iv) => {
            // The interval's span, with PostgreSQL's 30-day months.
            let micros = i128::from(iv.micros)
                + i128::from(iv.days) * 86_400_000_000
                + i128::from(iv.months) * 30 * 86_400_000_000;
            micros < 0
        }
        _ => false,
    }
}

/// PostgreSQL's `in_range(val, base, offset, sub, less)`: whether `val <= base ∓ offset`
/// (`less`) or `val >= base ∓ offset`, `sub` choosing minus.
fn in_range(val: &Value, base: &Value, offset: &Value, sub: bool, less: bool) -> Result<bool> {
    match (val, base, offset) {
        (_, _, Value::Float8(off)) => Ok(in_range_f64(as_f64(val), as_f64(base), *off, sub, less)),
        (Value::Numeric(v), Value::Numeric(b), Value::Numeric(o))
            if [v, b, o]
                .iter()
                .any(|x| matches!(x, Numeric::NaN | Numeric::PosInf | Numeric::NegInf)) =>
        {
            Ok(in_range_f64(as_f64(val), as_f64(base), as_f64(offset), sub, less))
        }
        (_, _, Value::Int8(off)) => {
            let (v, b) = (as_i128(val), as_i128(base));
            let sum = if sub { b - i128::from(*off) } else { b + i128::from(*off) };
            Ok(if less { v <= sum } else { v >= sum })
        }
        (Value::Time(v), Value::Time(b), Value::Interval(o)) => {
            // As PostgreSQL: only the interval's time part counts, without wrapping.
            let sum = if sub {
                i128::from(*b) - i128::from(o.micros)
            } else {
                i128::from(*b) + i128::from(o.micros)
            };
            let v = i128::from(*v);
            Ok(if less { v <= sum } else { v >= sum })
        }
        (Value::TimeTz(v), Value::TimeTz(b), Value::Interval(o)) => {
            // As PostgreSQL: the base moved by the offset's time part, not wrapped, in the
            // base's zone, compared in timetz order.
            let step = if sub { -o.micros } else { o.micros };
            let sum = helios_types::TimeTz::new(b.micros.saturating_add(step), b.offset);
            Ok(if less { *v <= sum } else { *v >= sum })
        }
        _ => {
            let (val, base) = match (val, base) {
                (Value::Date(_), Value::Date(_)) => {
                    (val.cast(&DataType::Timestamp)?, base.cast(&DataType::Timestamp)?)
                }
                _ => (val.clone(), base.clone()),
            };
            let op = if sub { BinaryOp::Sub } else { BinaryOp::Add };
            let sum = crate::expr::binary_values(op, &base, offset)?;
            let ord = crate::expr::compare::compare(&val, &sum)?;
            Ok(if less { ord != Ordering::Greater } else { ord != Ordering::Less })
        }
    }
}

/// `in_range` for floats, with PostgreSQL's NaN (greater than everything) and infinity
/// rules.
fn in_range_f64(val: f64, base: f64, offset: f64, sub: bool, less: bool) -> bool {
    if val.is_nan() {
        return if base.is_nan() { true } else { !less };
    }
    if base.is_nan() {
        return less;
    }
    // base ∓ inf would be NaN: +inf infinitely precedes +inf, -inf infinitely follows
    // -inf, so every value is inside.
    if offset.is_infinite() && base.is_infinite() && (if sub { base > 0.0 } else { base < 0.0 }) {
        return true;
    }
    let sum = if sub { base - offset } else { base + offset };
    if less {
        val <= sum
    } else {
        val >= sum
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int2(x) => f64::from(*x),
        Value::Int4(x) => f64::from(*x),
        Value::Int8(x) => *x as f64,
        Value::Float4(x) => f64::from(*x),
        Value::Float8(x) => *x,
        Value::Numeric(Numeric::NaN) => f64::NAN,
        Value::Numeric(Numeric::PosInf) => f64::INFINITY,
        Value::Numeric(Numeric::NegInf) => f64::NEG_INFINITY,
        other => match other.cast(&DataType::Float8) {
            Ok(Value::Float8(x)) => x,
            _ => f64::NAN,
        },
    }
}

fn as_i128(v: &Value) -> i128 {
    match v {
        Value::Int2(x) => i128::from(*x),
        Value::Int4(x) => i128::from(*x),
        Value::Int8(x) => i128::from(*x),
        _ => 0,
    }
}
