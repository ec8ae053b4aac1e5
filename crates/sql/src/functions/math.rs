//! Mathematical functions: abs, ceil, floor, round, trunc, mod, power, sqrt, cbrt, exp,
//! ln, log, sign, pi, random, div, gcd, lcm, width_bucket, trigonometry.

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive, Zero};
use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Numeric, Value};

use crate::expr::arith::{self, check_float, float_pow};
use crate::expr::num::{division_by_zero, out_of_range};
use crate::expr::BinaryOp;
use crate::functions::math_numeric;
use crate::functions::registry::{p, Registry, ReturnType};

use DataType::{Float8, Int2, Int4, Int8};

fn num() -> DataType {
    DataType::Numeric(None)
}

fn ret(t: DataType) -> ReturnType {
    ReturnType::Exact(t)
}

/// Registers the math functions.
pub(crate) fn register(r: &mut Registry) {
    for t in [Int2, Int4, Int8, DataType::Float4, Float8, num()] {
        r.add("abs", vec![p(t.clone())], ret(t.clone()), |a, _| arith::abs(&a[0]));
    }
    for name in ["ceil", "ceiling"] {
        r.add(name, vec![p(Float8)], ret(Float8), |a, _| f1(a, f64::ceil));
        r.add(name, vec![p(num())], ret(num()), |a, _| n_round(a, RoundingMode::Ceiling, 0));
    }
    r.add("floor", vec![p(Float8)], ret(Float8), |a, _| f1(a, f64::floor));
    r.add("floor", vec![p(num())], ret(num()), |a, _| n_round(a, RoundingMode::Floor, 0));
    r.add("round", vec![p(Float8)], ret(Float8), |a, _| f1(a, f64::round_ties_even));
    r.add("round", vec![p(num())], ret(num()), |a, _| n_round(a, RoundingMode::HalfUp, 0));
    r.add("round", vec![p(num()), p(Int4)], ret(num()), |a, _| {
        n_round(a, RoundingMode::HalfUp, int_arg(&a[1]))
    });
    r.add("trunc", vec![p(Float8)], ret(Float8), |a, _| f1(a, f64::trunc));
    r.add("trunc", vec![p(num())], ret(num()), |a, _| n_round(a, RoundingMode::Down, 0));
    r.add("trunc", vec![p(num()), p(Int4)], ret(num()), |a, _| {
        n_round(a, RoundingMode::Down, int_arg(&a[1]))
    });
    for t in [Int2, Int4, Int8, num()] {
        r.add("mod", vec![p(t.clone()), p(t.clone())], ret(t), |a, _| {
            arith::numeric_binary(BinaryOp::Mod, &a[0], &a[1])
        });
    }
    for name in ["power", "pow"] {
        r.add(name, vec![p(Float8), p(Float8)], ret(Float8), |a, _| {
            float_pow(f(&a[0]), f(&a[1])).map(Value::Float8)
        });
        r.add(name, vec![p(num()), p(num())], ret(num()), |a, _| {
            arith::numeric_binary(BinaryOp::Pow, &a[0], &a[1])
        });
    }
    r.add("sqrt", vec![p(Float8)], ret(Float8), |a, _| sqrt_value(&a[0]));
    r.add("sqrt", vec![p(num())], ret(num()), |a, _| sqrt_value(&a[0]));
    r.add("cbrt", vec![p(Float8)], ret(Float8), |a, _| cbrt_value(&a[0]));
    r.add("exp", vec![p(Float8)], ret(Float8), |a, _| f1c(a, f64::exp));
    r.add("exp", vec![p(num())], ret(num()), |a, _| n_dec(&a[0], math_numeric::exp));
    r.add("ln", vec![p(Float8)], ret(Float8), |a, _| log_f(&a[0], f64::ln));
    r.add("ln", vec![p(num())], ret(num()), |a, _| n_dec(&a[0], math_numeric::ln));
    for name in ["log", "log10"] {
        r.add(name, vec![p(Float8)], ret(Float8), |a, _| log_f(&a[0], f64::log10));
        r.add(name, vec![p(num())], ret(num()), |a, _| {
            n_dec(&a[0], |d| math_numeric::log(&BigDecimal::from(10), d))
        });
    }
    r.add("log", vec![p(num()), p(num())], ret(num()), |a, _| {
        let (Some(b), Some(x)) = (dec(&a[0]), dec(&a[1])) else {
            return Err(Error::unsupported("log() of NaN or infinity"));
        };
        math_numeric::log(&b, &x).map(|r| Value::Numeric(Numeric::finite(r)))
    });
    r.add("sign", vec![p(Float8)], ret(Float8), |a, _| {
        let x = f(&a[0]);
        Ok(Value::Float8(if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }))
    });
    r.add("sign", vec![p(num())], ret(num()), |a, _| {
        Ok(match &a[0] {
            Value::Numeric(Numeric::Finite(d)) => {
                let s = if d.is_zero() {
                    0
                } else if d.as_ref() > &BigDecimal::zero() {
                    1
                } else {
                    -1
                };
                Value::Numeric(Numeric::finite(BigDecimal::from(s)))
            }
            Value::Numeric(Numeric::PosInf) => Value::Numeric(Numeric::finite(BigDecimal::from(1))),
            Value::Numeric(Numeric::NegInf) => {
                Value::Numeric(Numeric::finite(BigDecimal::from(-1)))
            }
            other => other.clone(),
        })
    });
    r.add("pi", vec![], ret(Float8), |_, _| Ok(Value::Float8(std::f64::consts::PI)));
    r.add("random", vec![], ret(Float8), |_, _| Ok(Value::Float8(fastrand::f64()))).volatile();
    r.add("div", vec![p(num()), p(num())], ret(num()), |a, _| {
        let (Some(x), Some(y)) = (dec(&a[0]), dec(&a[1])) else {
            return Err(Error::unsupported("div() of NaN or infinity"));
        };
        if y.is_zero() {
            return Err(division_by_zero());
        }
        let q = arith::div_round(&x, &y, 1).with_scale_round(0, RoundingMode::Down);
        Ok(Value::Numeric(Numeric::finite(q)))
    });
    // The digits after the decimal point: as stored (`scale`), as needed for the exact
    // value (`min_scale`), and the value at that scale (`trim_scale`); NaN and the
    // infinities have no scale (NULL; trim_scale returns them).
    r.add("scale", vec![p(num())], ret(Int4), |a, _| {
        Ok(dec(&a[0]).map_or(Value::Null, |d| Value::Int4(numeric_scale(&d))))
    });
    r.add("min_scale", vec![p(num())], ret(Int4), |a, _| {
        Ok(dec(&a[0]).map_or(Value::Null, |d| Value::Int4(numeric_scale(&d.normalized()))))
    });
    r.add("trim_scale", vec![p(num())], ret(num()), |a, _| {
        Ok(match dec(&a[0]) {
            Some(d) => {
                let scale = i64::from(numeric_scale(&d.normalized()));
                Value::Numeric(Numeric::finite(d.with_scale(scale)))
            }
            None => a[0].clone(),
        })
    });
    r.add("gcd", vec![p(Int4), p(Int4)], ret(Int4), |a, _| {
        let g = gcd(i(&a[0]), i(&a[1]));
        i32::try_from(g).map(Value::Int4).map_err(|_| out_of_range("integer"))
    });
    r.add("gcd", vec![p(Int8), p(Int8)], ret(Int8), |a, _| {
        let g = gcd(i(&a[0]), i(&a[1]));
        i64::try_from(g).map(Value::Int8).map_err(|_| out_of_range("bigint"))
    });
    r.add("lcm", vec![p(Int4), p(Int4)], ret(Int4), |a, _| {
        let l = lcm(i(&a[0]), i(&a[1]));
        i32::try_from(l).map(Value::Int4).map_err(|_| out_of_range("integer"))
    });
    r.add("lcm", vec![p(Int8), p(Int8)], ret(Int8), |a, _| {
        let l = lcm(i(&a[0]), i(&a[1]));
        i64::try_from(l).map(Value::Int8).map_err(|_| out_of_range("bigint"))
    });
    r.add("width_bucket", vec![p(Float8), p(Float8), p(Float8), p(Int4)], ret(Int4), |a, _| {
        width_bucket(f(&a[0]), f(&a[1]), f(&a[2]), i(&a[3]))
    });
    r.add("width_bucket", vec![p(num()), p(num()), p(num()), p(Int4)], ret(Int4), |a, _| {
        width_bucket(f(&a[0]), f(&a[1]), f(&a[2]), i(&a[3]))
    });
    macro_rules! float_fn {
        ($name:literal, $op:expr) => {
            r.add($name, vec![p(Float8)], ret(Float8), |a, _| {
                let op: fn(f64) -> f64 = $op;
                Ok(Value::Float8(op(f(&a[0]))))
            });
        };
    }
    float_fn!("sin", f64::sin);
    float_fn!("cos", f64::cos);
    float_fn!("tan", f64::tan);
    float_fn!("asin", f64::asin);
    float_fn!("acos", f64::acos);
    float_fn!("atan", f64::atan);
    float_fn!("sinh", f64::sinh);
    float_fn!("cosh", f64::cosh);
    float_fn!("tanh", f64::tanh);
    float_fn!("degrees", f64::to_degrees);
    float_fn!("radians", f64::to_radians);
    float_fn!("cot", |x| 1.0 / x.tan());
    r.add("atan2", vec![p(Float8), p(Float8)], ret(Float8), |a, _| {
        Ok(Value::Float8(f(&a[0]).atan2(f(&a[1]))))
    });
}

fn f(v: &Value) -> f64 {
    crate::expr::num::to_f64(v).unwrap_or(f64::NAN)
}

fn i(v: &Value) -> i64 {
    crate::expr::num::to_i64(v).unwrap_or(0)
}

fn int_arg(v: &Value) -> i64 {
    i(v)
}

fn dec(v: &Value) -> Option<BigDecimal> {
    match v {
        Value::Numeric(Numeric::Finite(d)) => Some(d.as_ref().clone()),
        _ => None,
    }
}

fn f1(a: &[Value], op: fn(f64) -> f64) -> Result<Value> {
    Ok(Value::Float8(op(f(&a[0]))))
}

fn f1c(a: &[Value], op: fn(f64) -> f64) -> Result<Value> {
    let x = f(&a[0]);
    check_float(op(x), x.is_infinite()).map(Value::Float8)
}

fn n_round(a: &[Value], mode: RoundingMode, scale: i64) -> Result<Value> {
    // PostgreSQL clamps the requested scale to NUMERIC_MAX_RESULT_SCALE.
    let scale = scale.clamp(-2000, 2000);
    Ok(match &a[0] {
        Value::Numeric(Numeric::Finite(d)) => {
            let r = d.with_scale_round(scale, mode);
            // A negative scale rounds to tens, hundreds...; PostgreSQL shows no decimals.
            let r = if scale < 0 { r.with_scale(0) } else { r };
            Value::Numeric(Numeric::finite(r))
        }
        other => other.clone(),
    })
}

fn log_error(x: f64) -> Error {
    let msg = if x == 0.0 {
        "cannot take logarithm of zero"
    } else {
        "cannot take logarithm of a negative number"
    };
    Error::new(SqlState::from_code("2201E"), msg)
}

fn log_f(v: &Value, op: fn(f64) -> f64) -> Result<Value> {
    let x = f(v);
    if x <= 0.0 {
        return Err(log_error(x));
    }
    Ok(Value::Float8(op(x)))
}

/// A numeric function of a finite argument; NaN and infinities go through float8.
fn n_dec(v: &Value, op: fn(&BigDecimal) -> Result<BigDecimal>) -> Result<Value> {
    match v {
        Value::Numeric(Numeric::Finite(d)) => op(d).map(|r| Value::Numeric(Numeric::finite(r))),
        Value::Numeric(other) => Ok(Value::Numeric(other.clone())),
        _ => Err(Error::internal("numeric function on a non-numeric value")),
    }
}

/// `sqrt` / `|/` for float8 and numeric.
pub(crate) fn sqrt_value(v: &Value) -> Result<Value> {
    match v {
        Value::Numeric(Numeric::Finite(d)) => {
            arith::numeric_sqrt(d).map(|r| Value::Numeric(Numeric::finite(r)))
        }
        Value::Numeric(n) => Ok(Value::Numeric(n.clone())),
        other => {
            let x = f(other);
            if x < 0.0 {
                return Err(Error::new(
                    SqlState::from_code("2201F"),
                    "cannot take square root of a negative number",
                ));
            }
            Ok(Value::Float8(x.sqrt()))
        }
    }
}

/// `cbrt` / `||/`.
pub(crate) fn cbrt_value(v: &Value) -> Result<Value> {
    Ok(Value::Float8(f(v).cbrt()))
}

fn gcd(a: i64, b: i64) -> i128 {
    let (mut x, mut y) = (i128::from(a).abs(), i128::from(b).abs());
    while y != 0 {
        let t = x % y;
        x = y;
        y = t;
    }
    x
}

fn lcm(a: i64, b: i64) -> i128 {
    if a == 0 || b == 0 {
        return 0;
    }
    (i128::from(a) / gcd(a, b) * i128::from(b)).abs()
}

fn width_bucket(x: f64, lo: f64, hi: f64, n: i64) -> Result<Value> {
    if n <= 0 {
        return Err(Error::new(SqlState::from_code("2201G"), "count must be greater than zero"));
    }
    if lo == hi {
        return Err(Error::new(
            SqlState::from_code("2201G"),
            "lower bound cannot equal upper bound",
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let b = if lo < hi {
        if x < lo {
            0.0
        } else if x >= hi {
            nf + 1.0
        } else {
            ((x - lo) / (hi - lo) * nf).floor() + 1.0
        }
    } else if x > lo {
        0.0
    } else if x <= hi {
        nf + 1.0
    } else {
        ((lo - x) / (lo - hi) * nf).floor() + 1.0
    };
    b.to_i32().map(Value::Int4).ok_or_else(|| out_of_range("integer"))
}

/// A numeric's scale as PostgreSQL counts it: digits after the decimal point, never
/// negative (a value stored as `1E+3` has scale 0).
fn numeric_scale(d: &BigDecimal) -> i32 {
    i32::try_from(d.fractional_digit_count().max(0)).unwrap_or(i32::MAX)
}
