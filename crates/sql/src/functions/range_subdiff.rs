//! The subtype difference functions of the built-in range types (`float8mi`,
//! `int4range_subdiff`, `daterange_subdiff`, ...): the distance between two subtype
//! values as `double precision`. PostgreSQL's GiST support uses them; here they are
//! callable functions and what `CREATE TYPE ... AS RANGE (SUBTYPE_DIFF = f)` checks
//! `f` against.

use helios_common::Result;
use helios_types::compare::numeric_to_f64;
use helios_types::{DataType, Value};

use crate::expr::arith::numeric_binary;
use crate::expr::BinaryOp;
use crate::functions::registry::{p, Registry, ReturnType};

fn float(v: &Value) -> f64 {
    match v {
        Value::Int4(x) => f64::from(*x),
        Value::Int8(x) => *x as f64,
        Value::Float8(x) => *x,
        Value::Numeric(n) => numeric_to_f64(n),
        _ => f64::NAN,
    }
}

/// `a - b` as `double precision` (integers and numerics, whose difference is exact).
fn exact_diff(a: &[Value]) -> Result<Value> {
    Ok(Value::Float8(float(&numeric_binary(BinaryOp::Sub, &a[0], &a[1])?)))
}

/// Registers the difference functions.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Date, Float4, Float8, Int4, Int8, Timestamp, TimestampTz};
    let ret = ReturnType::Exact;
    r.add("float8mi", vec![p(Float8), p(Float8)], ret(Float8), |a, _| {
        numeric_binary(BinaryOp::Sub, &a[0], &a[1])
    });
    r.add("float4mi", vec![p(Float4), p(Float4)], ret(Float4), |a, _| {
        numeric_binary(BinaryOp::Sub, &a[0], &a[1])
    });
    r.add("int4range_subdiff", vec![p(Int4), p(Int4)], ret(Float8), |a, _| {
        Ok(Value::Float8(float(&a[0]) - float(&a[1])))
    });
    r.add("int8range_subdiff", vec![p(Int8), p(Int8)], ret(Float8), |a, _| {
        Ok(Value::Float8(float(&a[0]) - float(&a[1])))
    });
    let num = DataType::Numeric(None);
    r.add("numrange_subdiff", vec![p(num.clone()), p(num)], ret(Float8), |a, _| exact_diff(a));
    r.add("daterange_subdiff", vec![p(Date), p(Date)], ret(Float8), |a, _| match (&a[0], &a[1]) {
        (Value::Date(x), Value::Date(y)) => Ok(Value::Float8(f64::from(*x) - f64::from(*y))),
        _ => Ok(Value::Null),
    });
    for (name, t) in [("tsrange_subdiff", Timestamp), ("tstzrange_subdiff", TimestampTz)] {
        r.add(name, vec![p(t.clone()), p(t)], ret(Float8), |a, _| match (&a[0], &a[1]) {
            (Value::Timestamp(x), Value::Timestamp(y))
            | (Value::TimestampTz(x), Value::TimestampTz(y)) => {
                Ok(Value::Float8((*x as f64 - *y as f64) / 1_000_000.0))
            }
            _ => Ok(Value::Null),
        });
    }
}
