//! Comparison of values with SQL semantics: PostgreSQL's ordering per type (NaN above
//! every number, NULL array elements above non-null ones, intervals by their total
//! span) and three-valued results for comparison operators.

use std::cmp::Ordering;

use helios_common::{Error, Result, SqlState};
use helios_types::Value;

use crate::expr::node::BinaryOp;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Compares two non-NULL values with PostgreSQL's ordering (`Value::pg_cmp` of
/// helios-types; values of different numeric types are widened). A date or timestamp
/// also compares with a timestamptz as UTC. Other mixed types are an error: the binder
/// inserts casts so that does not happen.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering> {
    if let Some(o) = a.pg_cmp(b) {
        return Ok(o);
    }
    use helios_types::text::datetime::{DATE_INFINITY, DATE_NEG_INFINITY};
    // In 128 bits: a date's microseconds need not fit in 64; infinite dates are the
    // infinite timestamps.
    let as_utc = |v: &Value| match v {
        Value::Date(DATE_INFINITY) => Some(i128::from(i64::MAX)),
        Value::Date(DATE_NEG_INFINITY) => Some(i128::from(i64::MIN)),
        Value::Date(d) => Some(i128::from(*d) * i128::from(MICROS_PER_DAY)),
        Value::Timestamp(t) | Value::TimestampTz(t) => Some(i128::from(*t)),
        _ => None,
    };
    match (as_utc(a), as_utc(b)) {
        (Some(x), Some(y)) => Ok(x.cmp(&y)),
        _ => Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            format!("cannot compare {} with {}", a.data_type(), b.data_type()),
        )),
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
        use helios_types::Numeric;
        let n = |s: &str| Value::Numeric(Numeric::finite(s.parse().expect("decimal")));
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
        use helios_types::Interval;
        let a = Interval { months: 1, days: 0, micros: 0 };
        let b = Interval { months: 0, days: 30, micros: 0 };
        assert_eq!(compare(&Value::Interval(a), &Value::Interval(b)).ok(), Some(Ordering::Equal));
    }
}
