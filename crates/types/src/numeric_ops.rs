//! `numeric` arithmetic with PostgreSQL's result scales and special values.
//!
//! - `+` and `-` keep the larger scale of the operands, `*` the sum of the scales;
//! - `/` picks PostgreSQL's `select_div_scale`: at least 16 significant digits and no
//!   less than either operand's scale (at most 1000), rounded half away from zero;
//! - `%` is `a - trunc(a / b) * b` with the larger scale;
//! - `NaN` propagates; `Infinity` follows IEEE-like rules (`Inf - Inf` and `Inf * 0` are
//!   `NaN`, `x / Inf` is `0`); division by zero is `22012`; results with more than
//!   131072 integer digits are `22003 value overflows numeric format`.

use std::cmp::Ordering;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::num_traits::{Signed, Zero};
use bigdecimal::BigDecimal;
use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};
use crate::text::numeric::{integer_digits, pow10, MAX_INTEGER_DIGITS};
use crate::Numeric;

fn division_by_zero() -> TypeError {
    TypeError::other(SqlState::DIVISION_BY_ZERO, "division by zero")
}

fn check(d: BigDecimal) -> TypeResult<Numeric> {
    if integer_digits(&d) as i64 > MAX_INTEGER_DIGITS {
        return Err(TypeError::out_of_range("value overflows numeric format"));
    }
    Ok(Numeric::finite(d))
}

/// The display scale of a finite value (never negative).
fn dscale(d: &BigDecimal) -> i64 {
    d.as_bigint_and_exponent().1.max(0)
}

/// Rescales exactly to `scale` (which must not be smaller than the current scale).
fn widen(d: &BigDecimal, scale: i64) -> BigInt {
    let (int, s) = d.as_bigint_and_exponent();
    if scale >= s {
        int * pow10((scale - s) as u64)
    } else {
        int / pow10((s - scale) as u64)
    }
}

fn sign_of(n: &Numeric) -> Ordering {
    match n {
        Numeric::NegInf => Ordering::Less,
        Numeric::PosInf | Numeric::NaN => Ordering::Greater,
        Numeric::Finite(d) => d.sign().cmp(&Sign::NoSign),
    }
}

/// `a + b`.
pub fn add(a: &Numeric, b: &Numeric) -> TypeResult<Numeric> {
    use Numeric::*;
    Ok(match (a, b) {
        (NaN, _) | (_, NaN) | (PosInf, NegInf) | (NegInf, PosInf) => NaN,
        (PosInf, _) | (_, PosInf) => PosInf,
        (NegInf, _) | (_, NegInf) => NegInf,
        (Finite(x), Finite(y)) => {
            let s = dscale(x).max(dscale(y));
            return check(BigDecimal::new(widen(x, s) + widen(y, s), s));
        }
    })
}

/// `-a`.
pub fn neg(a: &Numeric) -> Numeric {
    match a {
        Numeric::NaN => Numeric::NaN,
        Numeric::PosInf => Numeric::NegInf,
        Numeric::NegInf => Numeric::PosInf,
        Numeric::Finite(d) => Numeric::finite(-d.as_ref()),
    }
}

/// `a - b`.
pub fn sub(a: &Numeric, b: &Numeric) -> TypeResult<Numeric> {
    add(a, &neg(b))
}

/// `a * b`.
pub fn mul(a: &Numeric, b: &Numeric) -> TypeResult<Numeric> {
    use Numeric::*;
    match (a, b) {
        (NaN, _) | (_, NaN) => Ok(NaN),
        (Finite(x), Finite(y)) => {
            let s = dscale(x) + dscale(y);
            check(BigDecimal::new(widen(x, dscale(x)) * widen(y, dscale(y)), s))
        }
        _ => Ok(match (sign_of(a), sign_of(b)) {
            (Ordering::Equal, _) | (_, Ordering::Equal) => NaN,
            (x, y) if x == y => PosInf,
            _ => NegInf,
        }),
    }
}

/// Base-10000 weight and leading base-10000 digit of a non-zero value, as PostgreSQL's
/// `select_div_scale` reads them.
fn weight_and_first_digit(d: &BigDecimal) -> (i64, u32) {
    let (int, scale) = d.as_bigint_and_exponent();
    let digits = int.magnitude().to_string();
    // |d| = 0.digits × 10^e
    let e = digits.len() as i64 - scale;
    let weight = (e - 1).div_euclid(4);
    // The leading base-10000 digit holds the decimal digits of positions
    // e-1 .. 4*weight (counting 10^k places).
    let lead_len = (e - 4 * weight) as usize;
    let lead: String = digits.chars().chain(std::iter::repeat('0')).take(lead_len).collect();
    (weight, lead.parse().unwrap_or(0))
}

/// `a / b`.
pub fn div(a: &Numeric, b: &Numeric) -> TypeResult<Numeric> {
    use Numeric::*;
    match (a, b) {
        (NaN, _) | (_, NaN) => Ok(NaN),
        (_, Finite(y)) if y.is_zero() => Err(division_by_zero()),
        (PosInf | NegInf, PosInf | NegInf) => Ok(NaN),
        (Finite(_), PosInf | NegInf) => Ok(Numeric::finite(BigDecimal::from(0))),
        (PosInf | NegInf, Finite(_)) => Ok(if sign_of(a) == sign_of(b) { PosInf } else { NegInf }),
        (Finite(x), Finite(y)) => {
            let (w1, f1) = if x.is_zero() { (0, 0) } else { weight_and_first_digit(x) };
            let (w2, f2) = weight_and_first_digit(y);
            let mut qweight = w1 - w2;
            if f1 <= f2 {
                qweight -= 1;
            }
            let rscale = (16 - qweight * 4).max(dscale(x)).max(dscale(y)).clamp(0, 1000);
            check(div_rounded(x, y, rscale))
        }
    }
}

/// `x / y` rounded half away from zero to `rscale` digits.
fn div_rounded(x: &BigDecimal, y: &BigDecimal, rscale: i64) -> BigDecimal {
    let (xi, xs) = x.as_bigint_and_exponent();
    let (yi, ys) = y.as_bigint_and_exponent();
    // x / y * 10^rscale = xi * 10^(ys - xs + rscale) / yi
    let k = ys - xs + rscale;
    let (num, den) =
        if k >= 0 { (xi * pow10(k as u64), yi) } else { (xi, yi * pow10((-k) as u64)) };
    let q = &num / &den;
    let r = &num % &den;
    let q = if r.abs() * 2u8 >= den.abs() {
        if (num.sign() == Sign::Minus) != (den.sign() == Sign::Minus) {
            q - 1u8
        } else {
            q + 1u8
        }
    } else {
        q
    };
    BigDecimal::new(q, rscale)
}

/// `a % b`.
pub fn rem(a: &Numeric, b: &Numeric) -> TypeResult<Numeric> {
    use Numeric::*;
    match (a, b) {
        (NaN, _) | (_, NaN) => Ok(NaN),
        (_, Finite(y)) if y.is_zero() => Err(division_by_zero()),
        (PosInf | NegInf, _) => Ok(NaN),
        (Finite(_), PosInf | NegInf) => Ok(a.clone()),
        (Finite(x), Finite(y)) => {
            let s = dscale(x).max(dscale(y));
            let (xi, yi) = (widen(x, s), widen(y, s));
            check(BigDecimal::new(&xi % &yi, s))
        }
    }
}

/// Keeps the result of a scale change at scale `max(s, 0)`: a negative `s` rounds to
/// tens, hundreds, ... and prints without a fraction.
fn at_scale(int: BigInt, s: i64) -> BigDecimal {
    if s < 0 {
        BigDecimal::new(int * pow10(s.unsigned_abs()), 0)
    } else {
        BigDecimal::new(int, s)
    }
}

/// `round(n, s)`: half away from zero at `s` fractional digits (negative `s` rounds to
/// the left of the point).
pub fn round(n: &Numeric, s: i32) -> TypeResult<Numeric> {
    let Numeric::Finite(d) = n else { return Ok(n.clone()) };
    let s = i64::from(s).clamp(-MAX_INTEGER_DIGITS, 1000);
    let (int, _) = crate::text::numeric::round_decimal(d, s).as_bigint_and_exponent();
    check(at_scale(int, s))
}

/// `trunc(n, s)`: toward zero at `s` fractional digits.
pub fn trunc(n: &Numeric, s: i32) -> TypeResult<Numeric> {
    let Numeric::Finite(d) = n else { return Ok(n.clone()) };
    let s = i64::from(s).clamp(-MAX_INTEGER_DIGITS, 1000);
    let (int, cur) = d.as_bigint_and_exponent();
    let q = if s >= cur { int * pow10((s - cur) as u64) } else { int / pow10((cur - s) as u64) };
    check(at_scale(q, s))
}

/// `floor(n)`.
pub fn floor(n: &Numeric) -> TypeResult<Numeric> {
    let Numeric::Finite(d) = n else { return Ok(n.clone()) };
    let Numeric::Finite(t) = trunc(n, 0)? else { return Ok(n.clone()) };
    Ok(Numeric::finite(if d < &t { *t - BigDecimal::from(1) } else { *t }))
}

/// `ceil(n)`.
pub fn ceil(n: &Numeric) -> TypeResult<Numeric> {
    let Numeric::Finite(d) = n else { return Ok(n.clone()) };
    let Numeric::Finite(t) = trunc(n, 0)? else { return Ok(n.clone()) };
    Ok(Numeric::finite(if d > &t { *t + BigDecimal::from(1) } else { *t }))
}

/// `abs(n)`, keeping the scale.
pub fn abs(n: &Numeric) -> Numeric {
    match n {
        Numeric::NegInf => Numeric::PosInf,
        Numeric::Finite(d) => Numeric::finite(d.abs()),
        other => other.clone(),
    }
}

/// `sign(n)`: -1, 0 or 1 (NaN stays NaN).
pub fn sign(n: &Numeric) -> Numeric {
    let v = match n {
        Numeric::NaN => return Numeric::NaN,
        Numeric::NegInf => -1,
        Numeric::PosInf => 1,
        Numeric::Finite(d) => match d.sign() {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        },
    };
    Numeric::finite(BigDecimal::from(v))
}

/// `sqrt(n)` with PostgreSQL's result scale (about 16 significant digits, at least the
/// input's scale); a negative input is `2201F`.
pub fn sqrt(n: &Numeric) -> TypeResult<Numeric> {
    let d = match n {
        Numeric::NaN | Numeric::PosInf => return Ok(n.clone()),
        Numeric::NegInf => return Err(negative_sqrt()),
        Numeric::Finite(d) => d,
    };
    if d.sign() == Sign::Minus {
        return Err(negative_sqrt());
    }
    let weight = if d.is_zero() { 0 } else { weight_and_first_digit(d).0 };
    let sweight = (weight + 1) * 4 / 2 - 1;
    let rscale = (16 - sweight).max(dscale(d)).clamp(0, 1000);
    // sqrt(d) * 10^(rscale+1) = sqrt(d * 10^(2*rscale+2)), then round the extra digit.
    let (int, scale) = d.as_bigint_and_exponent();
    let shift = 2 * (rscale + 1) - scale;
    let radicand =
        if shift >= 0 { int * pow10(shift as u64) } else { int / pow10((-shift) as u64) };
    let root = radicand.sqrt();
    let ten = BigInt::from(10u8);
    let rounded = (&root + 5u8) / &ten;
    check(BigDecimal::new(rounded, rscale))
}

fn negative_sqrt() -> TypeError {
    TypeError::other(SqlState::from_code("2201F"), "cannot take square root of a negative number")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::numeric::{format_numeric, parse_numeric};

    fn n(s: &str) -> Numeric {
        parse_numeric(s).unwrap()
    }

    fn f(r: TypeResult<Numeric>) -> String {
        r.map(|n| format_numeric(&n)).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn scales_like_postgres() {
        assert_eq!(f(add(&n("1.5"), &n("2.25"))), "3.75");
        assert_eq!(f(add(&n("1.50"), &n("2"))), "3.50");
        assert_eq!(f(sub(&n("1"), &n("1.000"))), "0.000");
        assert_eq!(f(mul(&n("1.5"), &n("2.25"))), "3.375");
        assert_eq!(f(mul(&n("1.50"), &n("2.0"))), "3.000");
        assert_eq!(f(div(&n("1"), &n("3"))), "0.33333333333333333333");
        assert_eq!(f(div(&n("2"), &n("3"))), "0.66666666666666666667");
        assert_eq!(f(div(&n("10"), &n("4"))), "2.5000000000000000");
        assert_eq!(f(div(&n("1"), &n("8"))), "0.12500000000000000000");
        assert_eq!(f(div(&n("-7"), &n("2"))), "-3.5000000000000000");
        assert_eq!(f(div(&n("1.000000000000000000000001"), &n("1"))), "1.000000000000000000000001");
        assert_eq!(f(rem(&n("7.5"), &n("2"))), "1.5");
        assert_eq!(f(rem(&n("-7"), &n("3"))), "-1");
        assert_eq!(f(div(&n("1"), &n("0"))), "division by zero");
        assert_eq!(f(div(&n("NaN"), &n("0"))), "NaN");
        assert_eq!(f(mul(&n("Infinity"), &n("0"))), "NaN");
        assert_eq!(f(mul(&n("Infinity"), &n("-2"))), "-Infinity");
        assert_eq!(f(sub(&n("Infinity"), &n("Infinity"))), "NaN");
        assert_eq!(f(div(&n("5"), &n("-Infinity"))), "0");
        assert_eq!(f(rem(&n("5"), &n("Infinity"))), "5");
        assert_eq!(f(div(&n("0"), &n("7.5"))), "0.00000000000000000000");
        assert_eq!(f(div(&n("100"), &n("7"))), "14.2857142857142857");
        assert_eq!(f(div(&n("99999"), &n("10000"))), "9.9999000000000000");
        assert_eq!(f(div(&n("10000"), &n("9999"))), "1.0001000100010001");
        assert_eq!(f(div(&n("1e20"), &n("3"))), "33333333333333333333");
        assert_eq!(f(div(&n("1"), &n("1e20"))), "0.0000000000000000000100000000000000000000");
        assert_eq!(f(div(&n("0.001"), &n("123456789"))), "0.0000000000081000000737100007");
        assert_eq!(f(round(&n("2.5"), 0)), "3");
        assert_eq!(f(round(&n("-2.5"), 0)), "-3");
        assert_eq!(f(round(&n("1.2345"), 2)), "1.23");
        assert_eq!(f(round(&n("1234.5"), -2)), "1200");
        assert_eq!(f(round(&n("1.5"), 5)), "1.50000");
        assert_eq!(f(trunc(&n("-1.99"), 1)), "-1.9");
        assert_eq!(f(trunc(&n("1234.5"), -2)), "1200");
        assert_eq!(f(ceil(&n("-1.5"))), "-1");
        assert_eq!(f(floor(&n("-1.5"))), "-2");
        assert_eq!(f(ceil(&n("1.000"))), "1");
        assert_eq!(format_numeric(&abs(&n("-1.50"))), "1.50");
        assert_eq!(format_numeric(&sign(&n("-1.50"))), "-1");
        assert_eq!(format_numeric(&sign(&n("0.0"))), "0");
        assert_eq!(f(sqrt(&n("2"))), "1.414213562373095");
        assert_eq!(f(sqrt(&n("100"))), "10.000000000000000");
        assert_eq!(f(sqrt(&n("0.0001"))), "0.01000000000000000");
        assert_eq!(f(sqrt(&n("1e20"))), "10000000000.00000");
        assert_eq!(f(sqrt(&n("2.00000000000000000000000000"))), "1.41421356237309504880168872");
        assert_eq!(f(sqrt(&n("-1"))), "cannot take square root of a negative number");
        assert_eq!(f(round(&n("NaN"), 2)), "NaN");
        assert_eq!(f(floor(&n("-Infinity"))), "-Infinity");
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::compare::cmp_numeric;
    use proptest::prelude::*;

    fn arb() -> impl Strategy<Value = Numeric> {
        prop_oneof![
            8 => (any::<i64>(), 0i64..25).prop_map(|(i, s)| Numeric::finite(BigDecimal::new(i.into(), s))),
            1 => Just(Numeric::NaN),
            1 => Just(Numeric::PosInf),
            1 => Just(Numeric::NegInf),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arithmetic_is_consistent(a in arb(), b in arb()) {
            let sum = add(&a, &b).unwrap();
            if let (Numeric::Finite(_), Numeric::Finite(_)) = (&a, &b) {
                let back = sub(&sum, &b).unwrap();
                prop_assert_eq!(cmp_numeric(&back, &a), Ordering::Equal);
                let prod = mul(&a, &b).unwrap();
                if let (Numeric::Finite(x), Numeric::Finite(y)) = (&a, &b) {
                    prop_assert_eq!(dscale(x) + dscale(y), match &prod { Numeric::Finite(p) => dscale(p), _ => -1 });
                }
            }
            match div(&a, &b) {
                Ok(Numeric::Finite(q)) => {
                    // Compare against floating point loosely: the quotient has at least
                    // 16 significant digits.
                    let (fa, fb) = (crate::compare::numeric_to_f64(&a), crate::compare::numeric_to_f64(&b));
                    let fq = crate::compare::numeric_to_f64(&Numeric::Finite(q));
                    let exact = fa / fb;
                    prop_assert!(exact == 0.0 || ((fq - exact) / exact).abs() < 1e-12 || exact.abs() < 1e-300,
                        "{} / {} = {} (f64 {})", fa, fb, fq, exact);
                }
                Ok(_) => {}
                Err(e) => prop_assert_eq!(e.sqlstate(), SqlState::DIVISION_BY_ZERO),
            }
            let _ = rem(&a, &b);
        }
    }
}
