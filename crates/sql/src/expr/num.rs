//! Numeric conversions shared by arithmetic, comparison and casts: exact conversion of
//! every numeric representation to `numeric` and `float8`, and range-checked narrowing
//! with PostgreSQL's rounding and error messages.

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};
use helios_common::{Error, Result, SqlState};
use helios_types::{Numeric, Value};

/// `22003 <type> out of range`, e.g. "integer out of range".
pub fn out_of_range(type_name: &str) -> Error {
    Error::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, format!("{type_name} out of range"))
}

/// `22012 division by zero`.
pub fn division_by_zero() -> Error {
    Error::new(SqlState::DIVISION_BY_ZERO, "division by zero")
}

/// The value as `numeric`, when it is a number. Floats convert exactly (NaN and the
/// infinities map to the special numerics).
pub fn to_numeric(v: &Value) -> Option<Numeric> {
    Some(match v {
        Value::Int2(i) => Numeric::finite(BigDecimal::from(*i)),
        Value::Int4(i) => Numeric::finite(BigDecimal::from(*i)),
        Value::Int8(i) => Numeric::finite(BigDecimal::from(*i)),
        Value::Float4(f) => float_to_numeric(f64::from(*f))?,
        Value::Float8(f) => float_to_numeric(*f)?,
        Value::Numeric(n) => n.clone(),
        _ => return None,
    })
}

/// A float as numeric, using the shortest decimal that round-trips (as PostgreSQL's
/// float→numeric cast does with 15/17 significant digits).
pub fn float_to_numeric(f: f64) -> Option<Numeric> {
    if f.is_nan() {
        return Some(Numeric::NaN);
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { Numeric::PosInf } else { Numeric::NegInf });
    }
    let text = format!("{f}");
    text.parse::<BigDecimal>().ok().map(Numeric::finite)
}

/// The value as `float8`, when it is a number.
pub fn to_f64(v: &Value) -> Option<f64> {
    Some(match v {
        Value::Int2(i) => f64::from(*i),
        Value::Int4(i) => f64::from(*i),
        // Precision loss above 2^53 matches PostgreSQL's int8→float8 cast.
        #[allow(clippy::cast_precision_loss)]
        Value::Int8(i) => *i as f64,
        Value::Float4(f) => f64::from(*f),
        Value::Float8(f) => *f,
        Value::Numeric(n) => numeric_to_f64(n),
        _ => return None,
    })
}

/// A numeric as float8 (NaN/±Infinity map to the float specials).
pub fn numeric_to_f64(n: &Numeric) -> f64 {
    match n {
        Numeric::Finite(d) => d.to_f64().unwrap_or(f64::NAN),
        Numeric::NaN => f64::NAN,
        Numeric::PosInf => f64::INFINITY,
        Numeric::NegInf => f64::NEG_INFINITY,
    }
}

/// The value as `int8`, when it is an integer type.
pub fn to_i64(v: &Value) -> Option<i64> {
    Some(match v {
        Value::Int2(i) => i64::from(*i),
        Value::Int4(i) => i64::from(*i),
        Value::Int8(i) => *i,
        _ => return None,
    })
}

/// Rounds a numeric to an integer half away from zero (numeric→int casts) and checks it
/// fits in `i64`; `type_name` is used in the range error.
pub fn numeric_to_i64(n: &Numeric, type_name: &str) -> Result<i64> {
    match n {
        Numeric::Finite(d) => d
            .with_scale_round(0, RoundingMode::HalfUp)
            .to_i64()
            .ok_or_else(|| out_of_range(type_name)),
        Numeric::NaN => Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot convert NaN to {type_name}"),
        )),
        _ => Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot convert infinity to {type_name}"),
        )),
    }
}

/// Rounds a float to an integer half to even (PostgreSQL uses `rint`) and checks that it
/// fits in `[min, max]`.
pub fn float_to_int(f: f64, min: i64, max: i64, type_name: &str) -> Result<i64> {
    let r = f.round_ties_even();
    // The float bounds are exclusive at the top: i64::MAX as f64 rounds up to 2^63.
    #[allow(clippy::cast_precision_loss)]
    let (lo, hi) = (min as f64, max as f64);
    if r.is_nan() || r < lo || r >= hi + 1.0 {
        return Err(out_of_range(type_name));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(r as i64)
}

/// A numeric value (used for results).
pub fn numeric(d: BigDecimal) -> Value {
    Value::Numeric(Numeric::finite(d))
}
