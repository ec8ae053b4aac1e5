//! `real` and `double precision` text I/O.
//!
//! Output follows PostgreSQL 12+ (`extra_float_digits = 1`): the shortest decimal that
//! reads back to the same value, in fixed notation when the decimal exponent is in
//! `-4 ..= 14` (`real`: `-4 ..= 5`) and in `1e+20` style otherwise, plus `NaN`,
//! `Infinity` and `-Infinity`. With `extra_float_digits` at 0 or below the output is
//! PostgreSQL's rounded one, `%.{15 + n}g` (`real`: `%.{6 + n}g`), see
//! [`format_f64_extra`].

use crate::error::{TypeError, TypeResult};

/// Formats a `double precision` value as PostgreSQL prints it.
pub fn format_f64(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    layout(&format!("{v:e}"), 15)
}

/// Formats a `real` value as PostgreSQL prints it.
pub fn format_f32(v: f32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    layout(&format!("{v:e}"), 6)
}

/// Formats a `double precision` value for `extra_float_digits` = `extra`: at 1 and above
/// the shortest exact form ([`format_f64`]); at 0 and below PostgreSQL's older rounded
/// output, `%.{15 + extra}g` (at least one digit).
pub fn format_f64_extra(v: f64, extra: i32) -> String {
    if extra > 0 {
        return format_f64(v);
    }
    rounded(v, (15 + extra).max(1))
}

/// Formats a `real` value for `extra_float_digits` = `extra` (`%.{6 + extra}g` at 0 and
/// below).
pub fn format_f32_extra(v: f32, extra: i32) -> String {
    if extra > 0 {
        return format_f32(v);
    }
    rounded(f64::from(v), (6 + extra).max(1))
}

/// C's `%.{digits}g`: `digits` significant digits, trailing zeros removed, exponent
/// form when the exponent is below -4 or at least `digits`.
fn rounded(v: f64, digits: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let p = digits as usize;
    let sci = format!("{:.*e}", p - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |t: &str| -> String {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t.to_string()
        }
    };
    if exp < -4 || exp >= digits {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.unsigned_abs())
    } else {
        let decimals = (digits - 1 - exp).max(0) as usize;
        trim(&format!("{v:.decimals$}"))
    }
}

/// Lays out Rust's shortest `{:e}` rendering (`-1.25e-7`) PostgreSQL's way.
fn layout(sci: &str, fixed_limit: i32) -> String {
    let (neg, rest) = match sci.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, sci),
    };
    let (mantissa, exp) = rest.split_once('e').unwrap_or((rest, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if (-4..fixed_limit).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// Whether `s` has the number syntax PostgreSQL's `strtod` accepts.
fn check_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// Recognises `NaN`, `Infinity`, `inf` with an optional sign, case-insensitively.
fn special(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (sign, body) = match lower.as_bytes().first() {
        Some(b'-') => (-1.0, &lower[1..]),
        Some(b'+') => (1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    match body {
        "nan" => Some(f64::NAN),
        "infinity" | "inf" => Some(sign * f64::INFINITY),
        _ => None,
    }
}

/// Whether the mantissa of a checked number has a non-zero digit.
fn has_nonzero_mantissa(s: &str) -> bool {
    s.chars().take_while(|c| *c != 'e' && *c != 'E').any(|c| matches!(c, '1'..='9'))
}

/// Parses a C99 hexadecimal float (`0x1.8p3`, `-0x10`), as `strtod` accepts; `None` when
/// `s` is not one.
fn parse_hex(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X"))?;
    let (mantissa, exp) = match body.find(['p', 'P']) {
        Some(i) => {
            let e = &body[i + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (
                &body[..i],
                e.parse::<i32>().unwrap_or(if e.starts_with('-') { -100_000 } else { 100_000 }),
            )
        }
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let v = value * 2f64.powi(exp.clamp(-2000, 2000));
    Some(if neg { -v } else { v })
}

/// What `strtod` makes of a trimmed number: `Ok(value)`, or `Err(())` for bad syntax.
/// The value may be infinite or zero on overflow/underflow; callers check.
fn strtod(s: &str) -> Result<f64, ()> {
    if let Some(v) = special(s) {
        return Ok(v);
    }
    if let Some(v) = parse_hex(s) {
        return Ok(v);
    }
    if !check_syntax(s) {
        return Err(());
    }
    s.parse().map_err(|_| ())
}

/// Whether a finite-looking literal overflowed or underflowed to `v`.
fn out_of_range(s: &str, v: f64) -> bool {
    special(s).is_none() && (v.is_infinite() || (v == 0.0 && has_nonzero_mantissa(s)))
}

/// Parses `double precision` input as PostgreSQL does.
pub fn parse_f64(input: &str) -> TypeResult<f64> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let v = strtod(s).map_err(|_| TypeError::syntax("double precision", input))?;
    if out_of_range(s, v) {
        return Err(TypeError::out_of_range(format!(
            "\"{s}\" is out of range for type double precision"
        )));
    }
    Ok(v)
}

/// Parses `real` input as PostgreSQL does (`strtof` semantics).
pub fn parse_f32(input: &str) -> TypeResult<f32> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    parse_f32_trimmed(s)
        .map_err(|_| TypeError::syntax("real", input))?
        .ok_or_else(|| TypeError::out_of_range(format!("\"{s}\" is out of range for type real")))
}

/// `strtof` on a trimmed literal: `Err(())` for bad syntax, `Ok(None)` when out of range.
pub(crate) fn parse_f32_trimmed(s: &str) -> Result<Option<f32>, ()> {
    let wide = strtod(s)?;
    let v: f32 = if special(s).is_some() || parse_hex(s).is_some() {
        wide as f32
    } else {
        s.parse().map_err(|_| ())?
    };
    if special(s).is_none() && (v.is_infinite() || (v == 0.0 && has_nonzero_mantissa(s))) {
        return Ok(None);
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_output_follows_extra_float_digits() {
        assert_eq!(format_f64_extra(131.10703231895047, 0), "131.10703231895");
        assert_eq!(format_f64_extra(17189.053923482326, 0), "17189.0539234823");
        assert_eq!(format_f64_extra(0.0194977982031803, 0), "0.0194977982031803");
        assert_eq!(format_f64_extra(1e20, 0), "1e+20");
        assert_eq!(format_f64_extra(1.5e-5, 0), "1.5e-05");
        assert_eq!(format_f64_extra(-0.0, 0), "-0");
        assert_eq!(format_f64_extra(100.0, 0), "100");
        assert_eq!(format_f64_extra(0.1 + 0.2, 0), "0.3");
        assert_eq!(format_f64_extra(0.1 + 0.2, 1), "0.30000000000000004");
        assert_eq!(format_f64_extra(123456.789, -9), "123457");
        assert_eq!(format_f64_extra(f64::NAN, 0), "NaN");
        assert_eq!(format_f32_extra(1.1_f32, 0), "1.1");
        assert_eq!(format_f32_extra(1234567.0_f32, 0), "1.23457e+06");
    }
    use proptest::prelude::*;

    #[test]
    fn formats_like_postgres() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e15, "1e+15"),
            (123_456_789_012_345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (-2.5e-300, "-2.5e-300"),
            (100.0, "100"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (v, s) in cases {
            assert_eq!(format_f64(*v), *s);
        }
        assert_eq!(format_f32(1_000_000.0), "1e+06");
        assert_eq!(format_f32(100_000.0), "100000");
        assert_eq!(format_f32(0.1), "0.1");
        assert_eq!(format_f32(1.1), "1.1");
    }

    #[test]
    fn parses_like_postgres() {
        assert_eq!(parse_f64(" 1.5 "), Ok(1.5));
        assert_eq!(parse_f64("1e3"), Ok(1000.0));
        assert_eq!(parse_f64(".5"), Ok(0.5));
        assert_eq!(parse_f64("5."), Ok(5.0));
        assert_eq!(parse_f64("-Infinity"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_f64("inf"), Ok(f64::INFINITY));
        assert!(parse_f64("NaN").is_ok_and(f64::is_nan));
        assert_eq!(parse_f64("0e5"), Ok(0.0));
        let e = parse_f64("1e400").unwrap_err();
        assert_eq!(e.to_string(), "\"1e400\" is out of range for type double precision");
        assert_eq!(e.sqlstate().code(), "22003");
        assert!(parse_f64("1e-400").is_err());
        let e = parse_f64("abc").unwrap_err();
        assert_eq!(e.to_string(), "invalid input syntax for type double precision: \"abc\"");
        for s in ["", ".", "1e", "e5", "1.2.3", "--1", "1 2", "infinityx"] {
            assert!(parse_f64(s).is_err(), "{s}");
        }
        assert!(parse_f32("1e39").is_err());
        assert_eq!(parse_f32("3.25"), Ok(3.25));
        assert_eq!(parse_f64("0x10"), Ok(16.0));
        assert_eq!(parse_f64("-0x1.8p1"), Ok(-3.0));
        assert_eq!(parse_f32("0x1p-2"), Ok(0.25));
        assert!(
            parse_f64("0x").is_err() && parse_f64("0x1p").is_err() && parse_f64("0xg").is_err()
        );
    }

    proptest! {
        #[test]
        fn f64_round_trips(v in any::<f64>()) {
            let back = parse_f64(&format_f64(v)).unwrap();
            prop_assert!(back == v || (v.is_nan() && back.is_nan()));
            if !v.is_nan() {
                prop_assert_eq!(back.is_sign_negative(), v.is_sign_negative());
            }
        }

        #[test]
        fn f32_round_trips(v in any::<f32>()) {
            let back = parse_f32(&format_f32(v)).unwrap();
            prop_assert!(back == v || (v.is_nan() && back.is_nan()));
        }
    }
}
