//! `numeric` text I/O and the decimal helpers casts share: rounding half away from
//! zero (PostgreSQL's numeric rounding) and `numeric(p, s)` enforcement.

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::num_traits::{Signed, Zero};
use bigdecimal::BigDecimal;

use crate::error::{TypeError, TypeResult};
use crate::Numeric;

/// Formats a numeric keeping its scale (`1.50` stays `1.50`), never in exponent form.
pub fn format_numeric(n: &Numeric) -> String {
    match n {
        Numeric::NaN => "NaN".into(),
        Numeric::PosInf => "Infinity".into(),
        Numeric::NegInf => "-Infinity".into(),
        Numeric::Finite(d) => format_decimal(d),
    }
}

/// Formats a finite decimal in plain notation with its scale (negative scales print as
/// integers).
pub fn format_decimal(d: &BigDecimal) -> String {
    let (int, scale) = d.as_bigint_and_exponent();
    let neg = int.sign() == Sign::Minus;
    let mut digits = int.magnitude().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    if neg {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(&digits);
        if !int.is_zero() {
            for _ in 0..(-scale) {
                out.push('0');
            }
        }
        return out;
    }
    let scale = scale as usize;
    if digits.len() <= scale {
        let pad = scale + 1 - digits.len();
        digits.insert_str(0, &"0".repeat(pad));
    }
    let split = digits.len() - scale;
    out.push_str(&digits[..split]);
    out.push('.');
    out.push_str(&digits[split..]);
    out
}

/// Most digits before the decimal point a numeric may have (PostgreSQL's limit).
pub const MAX_INTEGER_DIGITS: i64 = 131_072;
/// Most digits after the decimal point a numeric may have (PostgreSQL's limit).
pub const MAX_SCALE: i64 = 16_383;

/// Parses `numeric` input: `[sign]digits[.digits][e[sign]digits]`, `NaN`, `Infinity`,
/// `inf`, with surrounding whitespace and underscores between digits.
pub fn parse_numeric(input: &str) -> TypeResult<Numeric> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let bad = || TypeError::syntax("numeric", input);
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "nan" | "+nan" | "-nan" => return Ok(Numeric::NaN),
        "infinity" | "+infinity" | "inf" | "+inf" => return Ok(Numeric::PosInf),
        "-infinity" | "-inf" => return Ok(Numeric::NegInf),
        _ => {}
    }
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    if let Some(n) = parse_prefixed_integer(&s[i..]) {
        let n = n.ok_or_else(bad)?;
        return Ok(Numeric::finite(BigDecimal::new(if neg { -n } else { n }, 0)));
    }
    let mut digits = String::new();
    let mut frac_len: i64 = 0;
    let mut seen_point = false;
    let mut prev_digit = false;
    while i < b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                digits.push(c as char);
                if seen_point {
                    frac_len += 1;
                }
                prev_digit = true;
            }
            b'_' if prev_digit && b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                prev_digit = false;
            }
            b'.' if !seen_point => {
                seen_point = true;
                prev_digit = false;
            }
            _ => break,
        }
        i += 1;
    }
    if digits.is_empty() {
        return Err(bad());
    }
    let mut exp: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let rest = &s[i + 1..];
        let (eneg, edigits) = match rest.as_bytes().first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        if edigits.is_empty() || !edigits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        // Saturate: anything this large overflows numeric below.
        let e: i64 = edigits.parse::<i64>().unwrap_or(i64::MAX / 4).min(i64::MAX / 4);
        exp = if eneg { -e } else { e };
        i = b.len();
    }
    if i != b.len() {
        return Err(bad());
    }
    let significant = digits.trim_start_matches('0').len() as i64;
    let overflow = || TypeError::out_of_range("value overflows numeric format");
    if significant > 0 && significant - frac_len + exp > MAX_INTEGER_DIGITS {
        return Err(overflow());
    }
    if frac_len - exp > MAX_SCALE || exp.abs() > i64::from(i32::MAX / 2) {
        return Err(overflow());
    }
    if significant == 0 {
        return Ok(Numeric::finite(BigDecimal::new(BigInt::from(0u8), (frac_len - exp).max(0))));
    }
    let mut int: BigInt = digits.parse().map_err(|_| bad())?;
    if neg {
        int = -int;
    }
    let mut scale = frac_len - exp;
    if scale < 0 {
        int *= pow10(scale.unsigned_abs());
        scale = 0;
    }
    Ok(Numeric::finite(BigDecimal::new(int, scale)))
}

/// A `0x`/`0o`/`0b` integer (PostgreSQL 16+ numeric input): `None` when `s` has no such
/// prefix, `Some(None)` when the digits are bad.
fn parse_prefixed_integer(s: &str) -> Option<Option<BigInt>> {
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = [("0x", 16u32), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, r)| lower.strip_prefix(p).map(|d| (*r, d.to_string())))?;
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Some(None);
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    Some(BigInt::parse_bytes(clean.as_bytes(), radix))
}

/// `10^n` as a big integer.
pub fn pow10(n: u64) -> BigInt {
    let mut r = BigInt::from(1u8);
    let ten = BigInt::from(10u8);
    let mut base = ten;
    let mut e = n;
    while e > 0 {
        if e & 1 == 1 {
            r *= &base;
        }
        base = &base * &base;
        e >>= 1;
    }
    r
}

/// Rounds `d` to `scale` fractional digits, half away from zero, as PostgreSQL's numeric
/// rounding does. A larger target scale pads with zeros.
pub fn round_decimal(d: &BigDecimal, scale: i64) -> BigDecimal {
    let (int, cur) = d.as_bigint_and_exponent();
    if scale >= cur {
        return BigDecimal::new(int * pow10((scale - cur) as u64), scale);
    }
    let div = pow10((cur - scale) as u64);
    let q = &int / &div;
    let r = &int % &div;
    let twice = r.abs() * 2u8;
    let q = if twice >= div {
        if int.is_negative() {
            q - 1u8
        } else {
            q + 1u8
        }
    } else {
        q
    };
    BigDecimal::new(q, scale)
}

/// Number of digits before the decimal point of a finite decimal (0 for |d| < 1).
pub fn integer_digits(d: &BigDecimal) -> u64 {
    let (int, scale) = d.as_bigint_and_exponent();
    let len = if int.is_zero() { 0 } else { int.magnitude().to_string().len() as i64 };
    (len - scale).max(0) as u64
}

/// Applies `numeric(precision, scale)`: rounds to the scale, then fails with
/// `22003 numeric field overflow` when the integer part has too many digits.
pub fn apply_typmod(n: &Numeric, precision: u32, scale: u32) -> TypeResult<Numeric> {
    match n {
        Numeric::NaN => Ok(Numeric::NaN),
        Numeric::PosInf | Numeric::NegInf => Err(TypeError::out_of_range("numeric field overflow")
            .with_detail(format!(
                "A field with precision {precision}, scale {scale} cannot hold an infinite value."
            ))),
        Numeric::Finite(d) => {
            let rounded = round_decimal(d, i64::from(scale));
            let max_int = i64::from(precision) - i64::from(scale);
            let (int, _) = rounded.as_bigint_and_exponent();
            if !int.is_zero() && integer_digits(&rounded) as i64 > max_int {
                let bound = if max_int > 0 { format!("10^{max_int}") } else { "1".into() };
                return Err(TypeError::out_of_range("numeric field overflow").with_detail(
                    format!(
                        "A field with precision {precision}, scale {scale} must round to an \
                         absolute value less than {bound}."
                    ),
                ));
            }
            Ok(Numeric::finite(rounded))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(s: &str) -> Numeric {
        parse_numeric(s).unwrap()
    }

    #[test]
    fn keeps_scale_and_plain_notation() {
        for (i, o) in [
            ("1.50", "1.50"),
            ("  -0.001 ", "-0.001"),
            ("1e3", "1000"),
            ("1.5e-3", "0.0015"),
            ("12.345e1", "123.45"),
            ("00012", "12"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1_000.000_1", "1000.0001"),
            ("0.000", "0.000"),
            ("-0", "0"),
            ("nan", "NaN"),
            ("-Infinity", "-Infinity"),
            ("inf", "Infinity"),
            ("0x10", "16"),
            ("-0b101", "-5"),
            ("0o1_7", "15"),
            ("0xFFFFFFFFFFFFFFFFFFFF", "1208925819614629174706175"),
        ] {
            assert_eq!(format_numeric(&num(i)), o, "{i}");
        }
        for s in ["1e131072", "1e-16384", "1e1000000", "1e2147483648", "-1e99999999999999999999"] {
            assert_eq!(
                parse_numeric(s).unwrap_err().to_string(),
                "value overflows numeric format",
                "{s}"
            );
        }
        assert_eq!(format_numeric(&num("1e131071")).len(), 131_072);
        assert!(parse_numeric("1e-16383").is_ok());
        assert!(parse_numeric("0e-20000").is_err());
        assert_eq!(format_numeric(&num("0e99999")), "0");
        assert_eq!(format_numeric(&num("0e1000000")), "0");
        assert!(parse_numeric("0e2147483647").is_err());
        assert_eq!(format_numeric(&num("0.00e1")), "0.0");
        for s in ["", "abc", "1e", "1.2.3", "--1", "1_", "e5", ".", "0x", "0x1.5", "0b2"] {
            let e = parse_numeric(s).unwrap_err();
            assert_eq!(e.to_string(), format!("invalid input syntax for type numeric: \"{s}\""));
        }
    }

    #[test]
    fn rounds_half_away_from_zero_and_checks_precision() {
        let r = |s: &str, p, sc| apply_typmod(&num(s), p, sc).map(|n| format_numeric(&n));
        assert_eq!(r("2.5", 5, 0), Ok("3".into()));
        assert_eq!(r("-2.5", 5, 0), Ok("-3".into()));
        assert_eq!(r("1.005", 5, 2), Ok("1.01".into()));
        assert_eq!(r("1.2", 5, 3), Ok("1.200".into()));
        assert_eq!(r("999.994", 5, 2), Ok("999.99".into()));
        assert_eq!(r("0.5", 1, 1), Ok("0.5".into()));
        let e = r("999.995", 5, 2).unwrap_err();
        assert_eq!(e.to_string(), "numeric field overflow");
        let err: helios_common::Error = e.into();
        assert_eq!(
            err.detail(),
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        );
        assert!(r("1", 2, 2).is_err());
        assert!(r("Infinity", 5, 2).is_err());
        assert_eq!(r("NaN", 5, 2), Ok("NaN".into()));
    }

    proptest! {
        #[test]
        fn text_round_trips(int in any::<i64>(), scale in 0i64..30) {
            let n = Numeric::finite(BigDecimal::new(int.into(), scale));
            let text = format_numeric(&n);
            prop_assert_eq!(format_numeric(&parse_numeric(&text).unwrap()), text);
            prop_assert_eq!(parse_numeric(&format_numeric(&n)).unwrap(), n);
        }
    }
}
