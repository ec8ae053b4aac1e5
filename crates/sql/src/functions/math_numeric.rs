//! `exp`, `ln` and `log` on `numeric`, computed in decimal to more digits than the
//! result shows and rounded to PostgreSQL's result scale (at least 16 significant
//! digits: `rscale = 16 - decimal weight of the result`).

use bigdecimal::{BigDecimal, One, RoundingMode, Signed, Zero};
use helios_common::{Error, Result, SqlState};

use crate::expr::arith::dscale;
use crate::expr::num::out_of_range;

const MIN_SIG_DIGITS: i64 = 16;
const MAX_SCALE: i64 = 1000;

fn log_error(zero: bool) -> Error {
    let msg = if zero {
        "cannot take logarithm of zero"
    } else {
        "cannot take logarithm of a negative number"
    };
    Error::new(SqlState::from_code("2201E"), msg)
}

/// Working precision (significant digits) for a result shown with `rscale` decimals.
fn work_prec(rscale: i64, weight: i64) -> u64 {
    u64::try_from((rscale + weight.max(0) + 24).max(40)).unwrap_or(64)
}

/// ln(x) for x > 0 to `prec` significant digits: halve the logarithm by square roots
/// until x is near 1, then sum the atanh series.
fn ln_dec(x: &BigDecimal, prec: u64) -> Result<BigDecimal> {
    let one = BigDecimal::one();
    let near = BigDecimal::new(1.into(), 2); // 0.01
    let mut y = x.with_prec(prec);
    let mut doublings = 0u32;
    // Scale by powers of ten first so the square roots converge quickly.
    let (digits, scale) = y.as_bigint_and_exponent();
    let exp10 = i64::try_from(digits.abs().to_string().len()).unwrap_or(1) - 1 - scale;
    y = BigDecimal::new(digits, scale + exp10);
    while (&y - &one).abs() > near {
        y = y.sqrt().ok_or_else(|| Error::internal("square root failed"))?.with_prec(prec);
        doublings += 1;
        if doublings > 64 {
            return Err(Error::internal("logarithm did not converge"));
        }
    }
    let z = ((&y - &one) / (&y + &one)).with_prec(prec);
    let z2 = (&z * &z).with_prec(prec);
    let mut term = z.clone();
    let mut sum = z;
    let eps = BigDecimal::new(1.into(), i64::try_from(prec).unwrap_or(60) + 5);
    let mut k = 1u32;
    loop {
        term = (&term * &z2).with_prec(prec);
        k += 2;
        let add = (&term / BigDecimal::from(k)).with_prec(prec);
        if add.abs() < eps {
            break;
        }
        sum += add;
        if k > 10_000 {
            break;
        }
    }
    // ln y = 2 * sum, and each square root halved the logarithm.
    let ln_y = sum * BigDecimal::from(2u128 << doublings);
    let ln10 = if exp10 != 0 { ln10(prec)? } else { BigDecimal::zero() };
    Ok((ln_y + ln10 * BigDecimal::from(exp10)).with_prec(prec))
}

fn ln10(prec: u64) -> Result<BigDecimal> {
    // ln 10 = 3 ln 2 + ln 1.25; both arguments are near enough to 1 for the series.
    let two = ln_dec_near_one(&BigDecimal::from(2), prec)?;
    let five_quarters = ln_dec_near_one(&BigDecimal::new(125.into(), 2), prec)?;
    Ok((two * BigDecimal::from(3) + five_quarters).with_prec(prec))
}

/// The atanh series without the power-of-ten reduction (for constants).
fn ln_dec_near_one(x: &BigDecimal, prec: u64) -> Result<BigDecimal> {
    let one = BigDecimal::one();
    let z = ((x - &one) / (x + &one)).with_prec(prec);
    let z2 = (&z * &z).with_prec(prec);
    let mut term = z.clone();
    let mut sum = z;
    let eps = BigDecimal::new(1.into(), i64::try_from(prec).unwrap_or(60) + 5);
    let mut k = 1u32;
    while k < 100_000 {
        term = (&term * &z2).with_prec(prec);
        k += 2;
        let add = (&term / BigDecimal::from(k)).with_prec(prec);
        if add.abs() < eps {
            break;
        }
        sum += add;
    }
    Ok((sum * BigDecimal::from(2)).with_prec(prec))
}

/// PostgreSQL's estimate of the decimal weight of ln(x): trunc(log10(|ln x|)).
fn ln_dweight(x: f64) -> i64 {
    let l = x.ln().abs();
    if l == 0.0 || !l.is_finite() {
        return 0;
    }
    #[allow(clippy::cast_possible_truncation)]
    let w = l.log10().trunc() as i64;
    w
}

fn approx(x: &BigDecimal) -> f64 {
    x.to_string().parse::<f64>().unwrap_or(f64::NAN)
}

/// `ln(numeric)`.
pub fn ln(x: &BigDecimal) -> Result<BigDecimal> {
    if !x.is_positive() {
        return Err(log_error(x.is_zero()));
    }
    let rscale = (MIN_SIG_DIGITS - ln_dweight(approx(x))).max(dscale(x)).clamp(0, MAX_SCALE);
    let r = ln_dec(x, work_prec(rscale, 4))?;
    Ok(r.with_scale_round(rscale, RoundingMode::HalfUp))
}

/// `log(base, x)` on numeric (`log(x)` is base 10).
pub fn log(base: &BigDecimal, x: &BigDecimal) -> Result<BigDecimal> {
    if !base.is_positive() || !x.is_positive() {
        return Err(log_error(base.is_zero() || x.is_zero()));
    }
    if base.is_one() {
        return Err(crate::expr::num::division_by_zero());
    }
    let rscale = (MIN_SIG_DIGITS - (ln_dweight(approx(x)) - ln_dweight(approx(base))))
        .max(dscale(x))
        .max(dscale(base))
        .clamp(0, MAX_SCALE);
    let prec = work_prec(rscale, 4);
    let r = (ln_dec(x, prec)? / ln_dec(base, prec)?).with_prec(prec);
    Ok(r.with_scale_round(rscale, RoundingMode::HalfUp))
}

/// `exp(numeric)`.
pub fn exp(x: &BigDecimal) -> Result<BigDecimal> {
    let val = approx(x) * std::f64::consts::LOG10_E;
    if !val.is_finite() || val.abs() > 1.0e5 {
        return Err(out_of_range("value"));
    }
    #[allow(clippy::cast_possible_truncation)]
    let rscale = (MIN_SIG_DIGITS - val.trunc() as i64).max(dscale(x)).clamp(0, MAX_SCALE);
    #[allow(clippy::cast_possible_truncation)]
    let prec = work_prec(rscale, val.max(0.0) as i64);
    // exp(x) = exp(x / 2^n)^(2^n) with x / 2^n small enough for the Taylor series.
    let mut n = 0u32;
    let mut y = x.with_prec(prec);
    let small = BigDecimal::new(1.into(), 2);
    while y.abs() > small {
        y = (y / BigDecimal::from(2)).with_prec(prec);
        n += 1;
    }
    let eps = BigDecimal::new(1.into(), i64::try_from(prec).unwrap_or(60) + 5);
    let mut term = BigDecimal::one();
    let mut sum = BigDecimal::one();
    let mut k = 0u32;
    while k < 10_000 {
        k += 1;
        term = (&term * &y / BigDecimal::from(k)).with_prec(prec);
        if term.abs() < eps {
            break;
        }
        sum += &term;
    }
    for _ in 0..n {
        sum = (&sum * &sum).with_prec(prec);
    }
    Ok(sum.with_scale_round(rscale, RoundingMode::HalfUp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> BigDecimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn match_postgres_digits() {
        // Values from PostgreSQL 18.
        assert_eq!(exp(&d("1.0")).map(|x| x.to_string()).ok(), Some("2.7182818284590452".into()));
        assert_eq!(exp(&d("10.0")).map(|x| x.to_string()).ok(), Some("22026.465794806717".into()));
        assert_eq!(exp(&d("-1.0")).map(|x| x.to_string()).ok(), Some("0.3678794411714423".into()));
        assert_eq!(ln(&d("2.0")).map(|x| x.to_string()).ok(), Some("0.6931471805599453".into()));
        assert_eq!(ln(&d("1000.0")).map(|x| x.to_string()).ok(), Some("6.9077552789821371".into()));
        assert_eq!(ln(&d("0.5")).map(|x| x.to_string()).ok(), Some("-0.6931471805599453".into()));
        assert_eq!(
            log(&d("10"), &d("2.0")).map(|x| x.to_string()).ok(),
            Some("0.3010299956639812".into())
        );
        assert_eq!(
            log(&d("10"), &d("123456.0")).map(|x| x.to_string()).ok(),
            Some("5.091512201627772".into())
        );
        assert_eq!(
            log(&d("10"), &d("0.001")).map(|x| x.to_string()).ok(),
            Some("-3.0000000000000000".into())
        );
        assert_eq!(
            log(&d("2"), &d("8")).map(|x| x.to_string()).ok(),
            Some("3.0000000000000000".into())
        );
        assert!(ln(&d("0")).is_err());
    }
}
