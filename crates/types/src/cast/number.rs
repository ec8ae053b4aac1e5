//! Casts among `smallint`, `integer`, `bigint`, `real`, `double precision` and
//! `numeric`, with PostgreSQL's rounding and overflow errors.

use bigdecimal::num_traits::ToPrimitive;
use bigdecimal::BigDecimal;
use helios_common::SqlState;

use crate::compare::numeric_to_f64;
use crate::error::{TypeError, TypeResult};
use crate::text::numeric::{apply_typmod, format_decimal, parse_numeric, round_decimal};
use crate::{DataType, Numeric, Value};

/// PostgreSQL's `smallint out of range` style error for an integer type.
pub fn int_out_of_range(ty: &DataType) -> TypeError {
    TypeError::out_of_range(format!("{ty} out of range"))
}

/// Checks `v` against the range of the integer type `ty` and wraps it.
pub fn make_int(v: i128, ty: &DataType) -> TypeResult<Value> {
    let err = || int_out_of_range(ty);
    Ok(match ty {
        DataType::Int2 => Value::Int2(i16::try_from(v).map_err(|_| err())?),
        DataType::Int4 => Value::Int4(i32::try_from(v).map_err(|_| err())?),
        DataType::Int8 => Value::Int8(i64::try_from(v).map_err(|_| err())?),
        _ => return Err(TypeError::out_of_range(format!("{ty} is not an integer type"))),
    })
}

/// A float rounded half to even (PostgreSQL's `rint`) into an integer type.
pub fn float_to_int(x: f64, ty: &DataType) -> TypeResult<Value> {
    let r = x.round_ties_even();
    if !r.is_finite() || !(-1.8e19..=1.8e19).contains(&r) {
        return Err(int_out_of_range(ty));
    }
    make_int(r as i128, ty)
}

/// A numeric rounded half away from zero into an integer type.
pub fn numeric_to_int(n: &Numeric, ty: &DataType) -> TypeResult<Value> {
    match n {
        Numeric::NaN => Err(TypeError::other(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot convert NaN to {ty}"),
        )),
        Numeric::PosInf | Numeric::NegInf => Err(TypeError::other(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot convert infinity to {ty}"),
        )),
        Numeric::Finite(d) => {
            let r = round_decimal(d, 0);
            let (int, _) = r.as_bigint_and_exponent();
            make_int(int.to_i128().ok_or_else(|| int_out_of_range(ty))?, ty)
        }
    }
}

/// `float8 → numeric` as PostgreSQL does it: through 15 significant digits (6 for
/// `real`), the way `%.15g` prints.
pub fn float_to_numeric(x: f64, significant: usize) -> Numeric {
    if x.is_nan() {
        return Numeric::NaN;
    }
    if x.is_infinite() {
        return if x > 0.0 { Numeric::PosInf } else { Numeric::NegInf };
    }
    let sci = format!("{:.*e}", significant - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    parse_numeric(&format!("{mantissa}e{exp}")).unwrap_or(Numeric::NaN)
}

/// `double precision → real`, failing on overflow and underflow as PostgreSQL does.
pub fn f64_to_f32(x: f64) -> TypeResult<f32> {
    let y = x as f32;
    if y.is_infinite() && x.is_finite() {
        return Err(TypeError::out_of_range("value out of range: overflow"));
    }
    if y == 0.0 && x != 0.0 {
        return Err(TypeError::out_of_range("value out of range: underflow"));
    }
    Ok(y)
}

/// A finite numeric as `f64`, failing like PostgreSQL's `float8in` on its text when it
/// is out of range (`ty` names the target in the message).
fn numeric_to_float(d: &BigDecimal, ty: &str) -> TypeResult<f64> {
    let text = format_decimal(d);
    let x: f64 = text.parse().unwrap_or(f64::NAN);
    let nonzero = text.bytes().any(|b| matches!(b, b'1'..=b'9'));
    if x.is_infinite() || (x == 0.0 && nonzero) {
        return Err(TypeError::out_of_range(format!("\"{text}\" is out of range for type {ty}")));
    }
    Ok(x)
}

/// Casts a numeric-family value to a numeric-family type (or bool for `integer`).
pub fn cast_number(v: &Value, to: &DataType) -> TypeResult<Option<Value>> {
    let as_f64 = |v: &Value| -> f64 {
        match v {
            Value::Int2(x) => f64::from(*x),
            Value::Int4(x) => f64::from(*x),
            Value::Int8(x) => *x as f64,
            Value::Float4(x) => f64::from(*x),
            Value::Float8(x) => *x,
            Value::Numeric(n) => numeric_to_f64(n),
            _ => f64::NAN,
        }
    };
    if !matches!(
        v,
        Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)
            | Value::Numeric(_)
    ) {
        return Ok(None);
    }
    let int = match v {
        Value::Int2(x) => Some(i128::from(*x)),
        Value::Int4(x) => Some(i128::from(*x)),
        Value::Int8(x) => Some(i128::from(*x)),
        _ => None,
    };
    Ok(Some(match to {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => match (v, int) {
            (_, Some(i)) => make_int(i, to)?,
            (Value::Numeric(n), _) => numeric_to_int(n, to)?,
            (Value::Float4(_) | Value::Float8(_), _) => float_to_int(as_f64(v), to)?,
            _ => return Ok(None),
        },
        DataType::Float8 => match v {
            Value::Numeric(Numeric::Finite(d)) => {
                Value::Float8(numeric_to_float(d, "double precision")?)
            }
            _ => Value::Float8(as_f64(v)),
        },
        DataType::Float4 => match v {
            Value::Int2(x) => Value::Float4(f32::from(*x)),
            Value::Int4(x) => Value::Float4(*x as f32),
            Value::Int8(x) => Value::Float4(*x as f32),
            Value::Float4(x) => Value::Float4(*x),
            Value::Float8(x) if !x.is_finite() => Value::Float4(*x as f32),
            Value::Numeric(Numeric::Finite(d)) => {
                let x = numeric_to_float(d, "real")?;
                let y = x as f32;
                if y.is_infinite() || (y == 0.0 && x != 0.0) {
                    return Err(TypeError::out_of_range(format!(
                        "\"{}\" is out of range for type real",
                        format_decimal(d)
                    )));
                }
                Value::Float4(y)
            }
            _ => Value::Float4(f64_to_f32(as_f64(v))?),
        },
        DataType::Numeric(typmod) => {
            let n = match (v, int) {
                (_, Some(i)) => Numeric::finite(BigDecimal::from(i)),
                (Value::Numeric(n), _) => n.clone(),
                (Value::Float4(x), _) => float_to_numeric(f64::from(*x), 6),
                (Value::Float8(x), _) => float_to_numeric(*x, 15),
                _ => return Ok(None),
            };
            Value::Numeric(match typmod {
                Some((p, s)) => apply_typmod(&n, *p, *s)?,
                None => n,
            })
        }
        DataType::Bool => match v {
            Value::Int4(x) => Value::Bool(*x != 0),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::numeric::format_numeric;

    #[test]
    fn float_to_int_rounds_half_even() {
        assert_eq!(float_to_int(2.5, &DataType::Int4), Ok(Value::Int4(2)));
        assert_eq!(float_to_int(3.5, &DataType::Int4), Ok(Value::Int4(4)));
        assert_eq!(float_to_int(-2.5, &DataType::Int4), Ok(Value::Int4(-2)));
        assert_eq!(
            float_to_int(1e10, &DataType::Int4).unwrap_err().to_string(),
            "integer out of range"
        );
        assert!(float_to_int(f64::NAN, &DataType::Int8).is_err());
    }

    #[test]
    fn numeric_conversions() {
        let n = |s: &str| parse_numeric(s).unwrap();
        assert_eq!(numeric_to_int(&n("2.5"), &DataType::Int2), Ok(Value::Int2(3)));
        assert_eq!(numeric_to_int(&n("-2.5"), &DataType::Int2), Ok(Value::Int2(-3)));
        assert_eq!(
            numeric_to_int(&n("40000"), &DataType::Int2).unwrap_err().to_string(),
            "smallint out of range"
        );
        assert_eq!(
            numeric_to_int(&n("NaN"), &DataType::Int4).unwrap_err().sqlstate().code(),
            "0A000"
        );
        assert_eq!(format_numeric(&float_to_numeric(0.1, 15)), "0.1");
        assert_eq!(format_numeric(&float_to_numeric(1.0 / 3.0, 15)), "0.333333333333333");
        assert_eq!(format_numeric(&float_to_numeric(1e20, 15)), "100000000000000000000");
        assert_eq!(format_numeric(&float_to_numeric(100.0, 15)), "100");
        assert_eq!(format_numeric(&float_to_numeric(f64::from(0.1f32), 6)), "0.1");
        assert_eq!(f64_to_f32(1e300).unwrap_err().to_string(), "value out of range: overflow");
        assert_eq!(f64_to_f32(1e-300).unwrap_err().to_string(), "value out of range: underflow");
    }
}
