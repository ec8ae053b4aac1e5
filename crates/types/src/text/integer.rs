//! `smallint`, `integer` and `bigint` text input (output is plain `Display`).
//!
//! Accepts what PostgreSQL 16 accepts: surrounding whitespace, a sign, decimal digits or
//! `0x`/`0o`/`0b` prefixed hex/octal/binary, and single underscores between digits.

use crate::error::{TypeError, TypeResult};

/// Parses an integer literal into an `i64`, checking it against `[min, max]`; `ty` is
/// PostgreSQL's type name used in error messages.
pub fn parse_int(input: &str, ty: &str, min: i64, max: i64) -> TypeResult<i64> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let bad = || TypeError::syntax(ty, input);
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err(bad());
    }
    // Accumulate as a negative number so that the minimum of each type fits.
    let mut acc: i128 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(radix).ok_or_else(bad)?;
        if !overflow {
            acc = acc * i128::from(radix) - i128::from(d);
            if acc < -(1i128 << 70) {
                overflow = true;
            }
        }
    }
    let value = if neg { acc } else { -acc };
    if overflow || value < i128::from(min) || value > i128::from(max) {
        return Err(TypeError::InputOutOfRange { ty: ty.to_string(), input: input.to_string() });
    }
    Ok(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int2(s: &str) -> TypeResult<i64> {
        parse_int(s, "smallint", i16::MIN.into(), i16::MAX.into())
    }

    #[test]
    fn parses_forms() {
        assert_eq!(int2(" 42 "), Ok(42));
        assert_eq!(int2("-32768"), Ok(-32768));
        assert_eq!(int2("+7"), Ok(7));
        assert_eq!(int2("0x1F"), Ok(31));
        assert_eq!(int2("-0b101"), Ok(-5));
        assert_eq!(int2("0o17"), Ok(15));
        assert_eq!(int2("1_000"), Ok(1000));
        assert_eq!(int2("007"), Ok(7));
    }

    #[test]
    fn rejects_with_postgres_messages() {
        let e = int2("99999").unwrap_err();
        assert_eq!(e.to_string(), "value \"99999\" is out of range for type smallint");
        assert_eq!(e.sqlstate().code(), "22003");
        let e = parse_int("abc", "integer", 0, 10).unwrap_err();
        assert_eq!(e.to_string(), "invalid input syntax for type integer: \"abc\"");
        assert_eq!(e.sqlstate().code(), "22P02");
        for s in ["", "-", "1_", "_1", "1__0", "1.5", "0x", "12a", "1 2"] {
            assert!(int2(s).is_err(), "{s}");
        }
        let huge = "9".repeat(100);
        assert!(matches!(
            parse_int(&huge, "bigint", i64::MIN, i64::MAX),
            Err(TypeError::InputOutOfRange { .. })
        ));
        assert_eq!(parse_int("-9223372036854775808", "bigint", i64::MIN, i64::MAX), Ok(i64::MIN));
    }
}
