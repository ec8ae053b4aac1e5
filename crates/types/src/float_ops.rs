//! `real` / `double precision` and integer arithmetic with PostgreSQL's errors:
//! a finite computation that overflows is `22003 value out of range: overflow` (or
//! `underflow` when a non-zero product or quotient becomes zero); integer overflow is
//! `22003 integer out of range` (`smallint`, `bigint`); division by zero is `22012`.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};
use crate::DataType;

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%` (integers only)
    Rem,
}

fn division_by_zero() -> TypeError {
    TypeError::other(SqlState::DIVISION_BY_ZERO, "division by zero")
}

/// `a op b` on `double precision`.
pub fn f64_op(op: ArithOp, a: f64, b: f64) -> TypeResult<f64> {
    let r = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => {
            if b == 0.0 {
                return Err(division_by_zero());
            }
            a / b
        }
        ArithOp::Rem => {
            return Err(TypeError::other(
                SqlState::UNDEFINED_FUNCTION,
                "operator does not exist: double precision % double precision",
            ))
        }
    };
    check_float(op, a, b, r.is_infinite(), r == 0.0)?;
    Ok(r)
}

/// `a op b` on `real`.
pub fn f32_op(op: ArithOp, a: f32, b: f32) -> TypeResult<f32> {
    let r = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => {
            if b == 0.0 {
                return Err(division_by_zero());
            }
            a / b
        }
        ArithOp::Rem => {
            return Err(TypeError::other(
                SqlState::UNDEFINED_FUNCTION,
                "operator does not exist: real % real",
            ))
        }
    };
    check_float(op, f64::from(a), f64::from(b), r.is_infinite(), r == 0.0)?;
    Ok(r)
}

fn check_float(op: ArithOp, a: f64, b: f64, inf: bool, zero: bool) -> TypeResult<()> {
    if inf && !a.is_infinite() && !b.is_infinite() {
        return Err(TypeError::out_of_range("value out of range: overflow"));
    }
    let underflow = match op {
        ArithOp::Mul => zero && a != 0.0 && b != 0.0,
        ArithOp::Div => zero && a != 0.0 && !b.is_infinite(),
        _ => false,
    };
    if underflow {
        return Err(TypeError::out_of_range("value out of range: underflow"));
    }
    Ok(())
}

/// `a op b` on an integer type `ty` (`smallint`, `integer` or `bigint`); operands are
/// given widened to `i64` and must fit the type.
pub fn int_op(op: ArithOp, a: i64, b: i64, ty: &DataType) -> TypeResult<i64> {
    let (min, max) = match ty {
        DataType::Int2 => (i64::from(i16::MIN), i64::from(i16::MAX)),
        DataType::Int4 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let overflow = || TypeError::out_of_range(format!("{ty} out of range"));
    let r = match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div => {
            if b == 0 {
                return Err(division_by_zero());
            }
            a.checked_div(b)
        }
        ArithOp::Rem => {
            if b == 0 {
                return Err(division_by_zero());
            }
            // PostgreSQL defines MIN % -1 as 0 rather than overflowing.
            Some(if b == -1 { 0 } else { a % b })
        }
    }
    .ok_or_else(overflow)?;
    if r < min || r > max {
        return Err(overflow());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_like_postgres() {
        let e = |r: TypeResult<f64>| r.unwrap_err().to_string();
        assert_eq!(e(f64_op(ArithOp::Mul, 1e308, 10.0)), "value out of range: overflow");
        assert_eq!(f64_op(ArithOp::Mul, 1e-308, 1e-10), Ok(1e-318));
        assert_eq!(e(f64_op(ArithOp::Mul, 1e-308, 1e-308)), "value out of range: underflow");
        assert_eq!(e(f64_op(ArithOp::Div, 1.0, 0.0)), "division by zero");
        assert!(f64_op(ArithOp::Sub, f64::INFINITY, f64::INFINITY).unwrap().is_nan());
        assert_eq!(f64_op(ArithOp::Div, 0.0, f64::INFINITY), Ok(0.0));
        assert_eq!(f64_op(ArithOp::Div, 1.0, f64::INFINITY), Ok(0.0));
        assert_eq!(
            f32_op(ArithOp::Mul, 3e38, 10.0).unwrap_err().to_string(),
            "value out of range: overflow"
        );
        assert_eq!(
            int_op(ArithOp::Add, 2_147_483_647, 1, &DataType::Int4).unwrap_err().to_string(),
            "integer out of range"
        );
        assert_eq!(
            int_op(ArithOp::Mul, 200, 200, &DataType::Int2).unwrap_err().to_string(),
            "smallint out of range"
        );
        assert_eq!(
            int_op(ArithOp::Div, i64::MIN, -1, &DataType::Int8).unwrap_err().to_string(),
            "bigint out of range"
        );
        assert_eq!(int_op(ArithOp::Rem, i64::MIN, -1, &DataType::Int8), Ok(0));
        assert_eq!(int_op(ArithOp::Div, -7, 2, &DataType::Int4), Ok(-3));
        assert_eq!(int_op(ArithOp::Rem, -7, 2, &DataType::Int4), Ok(-1));
        assert_eq!(
            int_op(ArithOp::Div, 1, 0, &DataType::Int4).unwrap_err().sqlstate(),
            SqlState::DIVISION_BY_ZERO
        );
    }
}
