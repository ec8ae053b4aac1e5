//! Arithmetic on numbers with PostgreSQL's overflow checks, division-by-zero errors and
//! `numeric` result scales (`select_div_scale`: at least 16 significant digits).

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use helios_common::{Error, Result, SqlState};
use helios_types::{numeric_ops, Numeric, Value};

use crate::expr::node::BinaryOp;
use crate::expr::num::{division_by_zero, float_to_numeric, numeric_to_f64, out_of_range};

/// Minimum significant digits of a numeric division or function result.
const MIN_SIG_DIGITS: i64 = 16;
/// Largest display scale PostgreSQL produces.
const MAX_DISPLAY_SCALE: i64 = 1000;

/// Applies an arithmetic operator to two non-NULL values of the same numeric type.
pub fn numeric_binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value> {
    use Value as V;
    match (a, b) {
        (V::Int2(x), V::Int2(y)) => {
            let r = int_op(op, i64::from(*x), i64::from(*y), "smallint")?;
            i16::try_from(r).map(V::Int2).map_err(|_| out_of_range("smallint"))
        }
        (V::Int4(x), V::Int4(y)) => {
            let r = int_op(op, i64::from(*x), i64::from(*y), "integer")?;
            i32::try_from(r).map(V::Int4).map_err(|_| out_of_range("integer"))
        }
        (V::Int8(x), V::Int8(y)) => int8_op(op, *x, *y).map(V::Int8),
        (V::Float8(x), V::Float8(y)) => float_op(op, *x, *y).map(V::Float8),
        (V::Float4(x), V::Float4(y)) => {
            let r = float_op(op, f64::from(*x), f64::from(*y))?;
            #[allow(clippy::cast_possible_truncation)]
            let f = r as f32;
            if f.is_infinite() && r.is_finite() {
                return Err(float_overflow());
            }
            Ok(V::Float4(f))
        }
        (V::Numeric(x), V::Numeric(y)) => numeric_op(op, x, y).map(V::Numeric),
        _ => Err(Error::internal(format!(
            "arithmetic on mismatched types {} and {}",
            a.data_type(),
            b.data_type()
        ))),
    }
}

/// Integer operators computed in i64 (for int2/int4 the caller narrows and reports the
/// range error for its own type).
fn int_op(op: BinaryOp, x: i64, y: i64, type_name: &str) -> Result<i64> {
    Ok(match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => {
            if y == 0 {
                return Err(division_by_zero());
            }
            x / y
        }
        BinaryOp::Mod => {
            if y == 0 {
                return Err(division_by_zero());
            }
            x % y
        }
        BinaryOp::BitAnd => x & y,
        BinaryOp::BitOr => x | y,
        BinaryOp::BitXor => x ^ y,
        BinaryOp::ShiftLeft | BinaryOp::ShiftRight => {
            return shift(op, x, y, type_name);
        }
        _ => return Err(Error::internal(format!("operator {op} on integers"))),
    })
}

fn shift(op: BinaryOp, x: i64, y: i64, type_name: &str) -> Result<i64> {
    let bits: i64 = match type_name {
        "smallint" => 16,
        "integer" => 32,
        _ => 64,
    };
    // PostgreSQL shifts by the count modulo the type width (C semantics on x86).
    let n = u32::try_from(y.rem_euclid(bits)).unwrap_or(0);
    Ok(match (op, bits) {
        (BinaryOp::ShiftLeft, 16) => i64::from((x as i16).wrapping_shl(n)),
        (BinaryOp::ShiftLeft, 32) => i64::from((x as i32).wrapping_shl(n)),
        (BinaryOp::ShiftLeft, _) => x.wrapping_shl(n),
        (_, 16) => i64::from((x as i16) >> n),
        (_, 32) => i64::from((x as i32) >> n),
        _ => x >> n,
    })
}

fn int8_op(op: BinaryOp, x: i64, y: i64) -> Result<i64> {
    let overflow = || out_of_range("bigint");
    match op {
        BinaryOp::Add => x.checked_add(y).ok_or_else(overflow),
        BinaryOp::Sub => x.checked_sub(y).ok_or_else(overflow),
        BinaryOp::Mul => x.checked_mul(y).ok_or_else(overflow),
        BinaryOp::Div => {
            if y == 0 {
                return Err(division_by_zero());
            }
            x.checked_div(y).ok_or_else(overflow)
        }
        BinaryOp::Mod => {
            if y == 0 {
                return Err(division_by_zero());
            }
            // i64::MIN % -1 overflows in Rust; the mathematical answer is 0.
            Ok(if y == -1 { 0 } else { x % y })
        }
        _ => int_op(op, x, y, "bigint"),
    }
}

fn float_overflow() -> Error {
    Error::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow")
}

fn float_op(op: BinaryOp, x: f64, y: f64) -> Result<f64> {
    let r = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => {
            if y == 0.0 {
                return Err(division_by_zero());
            }
            x / y
        }
        BinaryOp::Pow => return float_pow(x, y),
        _ => return Err(Error::internal(format!("operator {op} on floats"))),
    };
    check_float(r, x.is_infinite() || y.is_infinite())
}

/// PostgreSQL's float overflow check: an infinite result from finite inputs is an error.
pub fn check_float(r: f64, input_inf: bool) -> Result<f64> {
    if r.is_infinite() && !input_inf {
        return Err(float_overflow());
    }
    Ok(r)
}

/// `x ^ y` on float8 with PostgreSQL's errors for complex or undefined results.
pub fn float_pow(x: f64, y: f64) -> Result<f64> {
    if x == 0.0 && y < 0.0 {
        return Err(Error::new(
            SqlState::from_code("2201F"),
            "zero raised to a negative power is undefined",
        ));
    }
    if x < 0.0 && y.fract() != 0.0 && y.is_finite() {
        return Err(Error::new(
            SqlState::from_code("2201F"),
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let r = x.powf(y);
    check_float(r, x.is_infinite() || y.is_infinite())
}

fn numeric_op(op: BinaryOp, x: &Numeric, y: &Numeric) -> Result<Numeric> {
    Ok(match op {
        BinaryOp::Add => numeric_ops::add(x, y)?,
        BinaryOp::Sub => numeric_ops::sub(x, y)?,
        BinaryOp::Mul => numeric_ops::mul(x, y)?,
        BinaryOp::Div => numeric_ops::div(x, y)?,
        BinaryOp::Mod => numeric_ops::rem(x, y)?,
        BinaryOp::Pow => match (x, y) {
            (Numeric::Finite(a), Numeric::Finite(b)) => numeric_pow(a, b)?,
            _ => special_numeric_pow(x, y),
        },
        _ => return Err(Error::internal(format!("operator {op} on numeric"))),
    })
}

/// `^` with NaN or an infinity on either side, through `f64` (which follows the same
/// IEEE rules PostgreSQL applies to these cases).
fn special_numeric_pow(x: &Numeric, y: &Numeric) -> Numeric {
    let r = numeric_to_f64(x).powf(numeric_to_f64(y));
    // Finite results of special inputs (e.g. Infinity ^ -1) are exactly zero or one.
    let r = if r.is_finite() { r.round() } else { r };
    float_to_numeric(r).unwrap_or(Numeric::NaN)
}

/// The display scale of a decimal (digits after the point, never negative).
pub fn dscale(d: &BigDecimal) -> i64 {
    d.fractional_digit_count().max(0)
}

/// Division of finite values with PostgreSQL's result scale (`select_div_scale`).
pub fn numeric_div(a: &BigDecimal, b: &BigDecimal) -> Result<BigDecimal> {
    match numeric_ops::div(&Numeric::finite(a.clone()), &Numeric::finite(b.clone()))? {
        Numeric::Finite(d) => Ok(*d),
        _ => Err(Error::internal("finite numeric division gave a special value")),
    }
}

/// `a / b` rounded half away from zero to `scale` digits, computed exactly.
pub fn div_round(a: &BigDecimal, b: &BigDecimal, scale: i64) -> BigDecimal {
    let (ai, ae) = a.as_bigint_and_exponent();
    let (bi, be) = b.as_bigint_and_exponent();
    // a / b = (ai / bi) * 10^(be - ae); we want the quotient scaled by 10^(scale+1).
    let shift = scale + 1 + be - ae;
    let ten = num_bigint_ten();
    let (num, den) = if shift >= 0 {
        (ai * ten.pow(u32::try_from(shift).unwrap_or(0)), bi)
    } else {
        (ai, bi * ten.pow(u32::try_from(-shift).unwrap_or(0)))
    };
    let q = num / den;
    BigDecimal::new(q, scale + 1).with_scale_round(scale, RoundingMode::HalfUp)
}

fn num_bigint_ten() -> bigdecimal::num_bigint::BigInt {
    bigdecimal::num_bigint::BigInt::from(10)
}

/// `numeric ^ numeric` with PostgreSQL's result scale.
fn numeric_pow(a: &BigDecimal, b: &BigDecimal) -> Result<Numeric> {
    if a.is_zero() && b < &BigDecimal::zero() {
        return Err(Error::new(
            SqlState::from_code("2201F"),
            "zero raised to a negative power is undefined",
        ));
    }
    let is_int = b.fractional_digit_count() <= 0 || b.with_scale(0) == *b;
    if a < &BigDecimal::zero() && !is_int {
        return Err(Error::new(
            SqlState::from_code("2201F"),
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let fa = numeric_to_f64(&Numeric::finite(a.clone()));
    let fb = numeric_to_f64(&Numeric::finite(b.clone()));
    let est = if a.is_zero() { 0.0 } else { fb * fa.abs().log10() };
    if est.abs() > 1.0e6 {
        return Err(out_of_range("value"));
    }
    #[allow(clippy::cast_possible_truncation)]
    let est_i = est as i64;
    let rscale = (MIN_SIG_DIGITS - est_i).max(dscale(a)).max(dscale(b)).clamp(0, MAX_DISPLAY_SCALE);
    let exact_exp =
        if is_int { i64::try_from(b.with_scale(0).as_bigint_and_exponent().0).ok() } else { None };
    let half = BigDecimal::new(5.into(), 1);
    let result = match exact_exp {
        _ if *b == half => {
            let root = a.sqrt().ok_or_else(|| Error::internal("square root failed"))?;
            root.with_scale_round(rscale, RoundingMode::HalfUp)
        }
        Some(n) if n.unsigned_abs() <= 10_000 => {
            let mut acc = BigDecimal::from(1);
            for _ in 0..n.unsigned_abs() {
                acc = (acc * a).with_prec(2000);
            }
            if n < 0 {
                div_round(&BigDecimal::from(1), &acc, rscale)
            } else {
                acc.with_scale_round(rscale, RoundingMode::HalfUp)
            }
        }
        _ => {
            let r = fa.powf(fb);
            let Some(Numeric::Finite(d)) = float_to_numeric(r) else {
                return Err(out_of_range("value"));
            };
            d.with_scale_round(rscale, RoundingMode::HalfUp)
        }
    };
    Ok(Numeric::finite(result))
}

/// Square root of a finite numeric with PostgreSQL's result scale.
pub fn numeric_sqrt(a: &BigDecimal) -> Result<BigDecimal> {
    match numeric_ops::sqrt(&Numeric::finite(a.clone()))? {
        Numeric::Finite(d) => Ok(*d),
        _ => Err(Error::internal("finite numeric square root gave a special value")),
    }
}

/// Unary minus with overflow checks.
pub fn negate(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Int2(i) => Value::Int2(i.checked_neg().ok_or_else(|| out_of_range("smallint"))?),
        Value::Int4(i) => Value::Int4(i.checked_neg().ok_or_else(|| out_of_range("integer"))?),
        Value::Int8(i) => Value::Int8(i.checked_neg().ok_or_else(|| out_of_range("bigint"))?),
        Value::Float4(f) => Value::Float4(-f),
        Value::Float8(f) => Value::Float8(-f),
        Value::Numeric(n) => Value::Numeric(match n {
            Numeric::Finite(d) => Numeric::finite(-d.as_ref()),
            Numeric::NaN => Numeric::NaN,
            Numeric::PosInf => Numeric::NegInf,
            Numeric::NegInf => Numeric::PosInf,
        }),
        Value::Interval(i) => Value::Interval(helios_types::Interval {
            months: i.months.checked_neg().ok_or_else(|| out_of_range("interval"))?,
            days: i.days.checked_neg().ok_or_else(|| out_of_range("interval"))?,
            micros: i.micros.checked_neg().ok_or_else(|| out_of_range("interval"))?,
        }),
        other => return Err(Error::internal(format!("negation of {}", other.data_type()))),
    })
}

/// Absolute value with overflow checks.
pub fn abs(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Int2(i) => Value::Int2(i.checked_abs().ok_or_else(|| out_of_range("smallint"))?),
        Value::Int4(i) => Value::Int4(i.checked_abs().ok_or_else(|| out_of_range("integer"))?),
        Value::Int8(i) => Value::Int8(i.checked_abs().ok_or_else(|| out_of_range("bigint"))?),
        Value::Float4(f) => Value::Float4(f.abs()),
        Value::Float8(f) => Value::Float8(f.abs()),
        Value::Numeric(n) => Value::Numeric(match n {
            Numeric::Finite(d) => Numeric::finite(d.abs()),
            Numeric::NegInf => Numeric::PosInf,
            other => other.clone(),
        }),
        other => return Err(Error::internal(format!("abs of {}", other.data_type()))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> BigDecimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn division_scale_matches_postgres() {
        assert_eq!(
            numeric_div(&d("1"), &d("3")).map(|x| x.to_string()).ok(),
            Some("0.33333333333333333333".into())
        );
        assert_eq!(
            numeric_div(&d("10"), &d("4")).map(|x| x.to_string()).ok(),
            Some("2.5000000000000000".into())
        );
        assert_eq!(
            numeric_div(&d("2.5"), &d("1.25")).map(|x| x.to_string()).ok(),
            Some("2.0000000000000000".into())
        );
        assert_eq!(
            numeric_div(&d("1"), &d("0")).unwrap_err().sqlstate(),
            SqlState::DIVISION_BY_ZERO
        );
    }

    #[test]
    fn integer_overflow_errors() {
        let e = numeric_binary(BinaryOp::Add, &Value::Int4(i32::MAX), &Value::Int4(1)).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message()),
            (SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range")
        );
        let e = numeric_binary(BinaryOp::Mul, &Value::Int8(i64::MAX), &Value::Int8(2)).unwrap_err();
        assert_eq!(e.message(), "bigint out of range");
        assert_eq!(
            numeric_binary(BinaryOp::Div, &Value::Int4(7), &Value::Int4(-2)).ok(),
            Some(Value::Int4(-3))
        );
        assert_eq!(
            numeric_binary(BinaryOp::Mod, &Value::Int4(-7), &Value::Int4(2)).ok(),
            Some(Value::Int4(-1))
        );
        let e =
            numeric_binary(BinaryOp::Div, &Value::Float8(1.0), &Value::Float8(0.0)).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::DIVISION_BY_ZERO);
    }

    #[test]
    fn sqrt_and_pow_scales() {
        assert_eq!(
            numeric_sqrt(&d("2")).map(|x| x.to_string()).ok(),
            Some("1.414213562373095".into())
        );
        let p = numeric_pow(&d("2.0"), &d("3")).ok();
        assert_eq!(p, Some(Numeric::finite(d("8.0000000000000000"))));
    }
}
