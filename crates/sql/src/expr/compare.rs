//! Comparison of values with SQL semantics: PostgreSQL's ordering per type (NaN above
//! every number, NULL array elements above non-null ones, intervals by their total
//! span) and three-valued results for comparison operators.

use std::cmp::Ordering;

use helios_common::{Error, Result, SqlState};
use helios_types::{Interval, Numeric, Value};

use crate::expr::node::BinaryOp;
use crate::expr::num::{to_f64, to_numeric};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Compares two non-NULL values. Values of different numeric types are compared after
/// widening (float if either is a float, else numeric); a date compares with
/// timestamps as midnight. Other mixed types are an internal error: the binder inserts
/// casts so that does not happen.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering> {
    use Value as V;
    Ok(match (a, b) {
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::Int2(x), V::Int2(y)) => x.cmp(y),
        (V::Int4(x), V::Int4(y)) => x.cmp(y),
        (V::Int8(x), V::Int8(y)) => x.cmp(y),
        (V::Float4(x), V::Float4(y)) => float_cmp(f64::from(*x), f64::from(*y)),
        (V::Float8(x), V::Float8(y)) => float_cmp(*x, *y),
        (V::Numeric(x), V::Numeric(y)) => numeric_cmp(x, y),
        (V::Text(x), V::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Bytea(x), V::Bytea(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::Time(x), V::Time(y))
        | (V::Timestamp(x), V::Timestamp(y))
        | (V::TimestampTz(x), V::TimestampTz(y))
        | (V::Timestamp(x), V::TimestampTz(y))
        | (V::TimestampTz(x), V::Timestamp(y)) => x.cmp(y),
        (V::Date(d), V::Timestamp(t) | V::TimestampTz(t)) => {
            (i64::from(*d) * MICROS_PER_DAY).cmp(t)
        }
        (V::Timestamp(t) | V::TimestampTz(t), V::Date(d)) => {
            t.cmp(&(i64::from(*d) * MICROS_PER_DAY))
        }
        (V::Interval(x), V::Interval(y)) => interval_span(x).cmp(&interval_span(y)),
        (V::Uuid(x), V::Uuid(y)) => x.cmp(y),
        (V::Jsonb(x), V::Jsonb(y)) => json_cmp(x, y),
        (V::Array(x), V::Array(y)) => {
            for (p, q) in x.elements.iter().zip(&y.elements) {
                let o = match (p.is_null(), q.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => compare(p, q)?,
                };
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            x.elements.len().cmp(&y.elements.len())
        }
        _ => return mixed_compare(a, b),
    })
}

fn mixed_compare(a: &Value, b: &Value) -> Result<Ordering> {
    let is_float = |v: &Value| matches!(v, Value::Float4(_) | Value::Float8(_));
    if is_float(a) || is_float(b) {
        if let (Some(x), Some(y)) = (to_f64(a), to_f64(b)) {
            return Ok(float_cmp(x, y));
        }
    } else if let (Some(x), Some(y)) = (to_numeric(a), to_numeric(b)) {
        return Ok(numeric_cmp(&x, &y));
    }
    Err(Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("cannot compare {} with {}", a.data_type(), b.data_type()),
    ))
}

/// PostgreSQL's float order: NaN equals NaN and sorts above everything.
pub fn float_cmp(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// Numeric order: -Infinity < finite < Infinity < NaN.
pub fn numeric_cmp(x: &Numeric, y: &Numeric) -> Ordering {
    let rank = |n: &Numeric| match n {
        Numeric::NegInf => 0,
        Numeric::Finite(_) => 1,
        Numeric::PosInf => 2,
        Numeric::NaN => 3,
    };
    match (x, y) {
        (Numeric::Finite(a), Numeric::Finite(b)) => a.cmp(b),
        _ => rank(x).cmp(&rank(y)),
    }
}

/// The span of an interval for comparison: a month is 30 days, a day 24 hours.
pub fn interval_span(i: &Interval) -> i128 {
    (i128::from(i.months) * 30 + i128::from(i.days)) * i128::from(MICROS_PER_DAY)
        + i128::from(i.micros)
}

/// jsonb order: null < string < number < boolean < array < object, then by content.
fn json_cmp(a: &serde_json::Value, b: &serde_json::Value) -> Ordering {
    use serde_json::Value as J;
    let rank = |v: &J| match v {
        J::Null => 0,
        J::String(_) => 1,
        J::Number(_) => 2,
        J::Bool(_) => 3,
        J::Array(_) => 4,
        J::Object(_) => 5,
    };
    match (a, b) {
        (J::String(x), J::String(y)) => x.cmp(y),
        (J::Number(x), J::Number(y)) => {
            let p = x.to_string().parse::<bigdecimal::BigDecimal>();
            let q = y.to_string().parse::<bigdecimal::BigDecimal>();
            match (p, q) {
                (Ok(p), Ok(q)) => p.cmp(&q),
                _ => float_cmp(x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0)),
            }
        }
        (J::Bool(x), J::Bool(y)) => x.cmp(y),
        (J::Array(x), J::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|(p, q)| json_cmp(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        (J::Object(x), J::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            let key = |k: &&String| (k.len(), (*k).clone());
            xs.sort_by_key(|(k, _)| key(k));
            ys.sort_by_key(|(k, _)| key(k));
            for ((ka, va), (kb, vb)) in xs.iter().zip(&ys) {
                let o = key(ka).cmp(&key(kb)).then_with(|| json_cmp(va, vb));
                if o.is_ne() {
                    return o;
                }
            }
            Ordering::Equal
        }),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Whether `ord` satisfies comparison operator `op`.
pub fn satisfies(op: BinaryOp, ord: Ordering) -> bool {
    match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::NotEq => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::LtEq => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        BinaryOp::GtEq => ord != Ordering::Less,
        _ => false,
    }
}

/// `a op b` with SQL NULL semantics: NULL when either side is NULL.
pub fn compare_op(op: BinaryOp, a: &Value, b: &Value) -> Result<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    Ok(Value::Bool(satisfies(op, compare(a, b)?)))
}

/// `IS NOT DISTINCT FROM`: NULL equals NULL.
pub fn not_distinct(a: &Value, b: &Value) -> Result<bool> {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ok(true),
        (true, false) | (false, true) => Ok(false),
        (false, false) => Ok(compare(a, b)? == Ordering::Equal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_numeric_and_specials() {
        let n = |s: &str| Value::Numeric(Numeric::Finite(s.parse().expect("decimal")));
        assert_eq!(compare(&Value::Int4(2), &n("2.0")).ok(), Some(Ordering::Equal));
        assert_eq!(compare(&Value::Int8(3), &Value::Float8(2.5)).ok(), Some(Ordering::Greater));
        assert_eq!(
            compare(&Value::Float8(f64::NAN), &Value::Float8(f64::INFINITY)).ok(),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&Value::Float8(f64::NAN), &Value::Float8(f64::NAN)).ok(),
            Some(Ordering::Equal)
        );
        assert_eq!(compare_op(BinaryOp::Eq, &Value::Null, &Value::Int4(1)).ok(), Some(Value::Null));
        assert!(compare(&Value::Int4(1), &Value::Text("1".into())).is_err());
    }

    #[test]
    fn interval_equality_uses_30_day_months() {
        let a = Interval { months: 1, days: 0, micros: 0 };
        let b = Interval { months: 0, days: 30, micros: 0 };
        assert_eq!(compare(&Value::Interval(a), &Value::Interval(b)).ok(), Some(Ordering::Equal));
    }
}
