//! `bytea` text I/O: hex format (`\x0a0b`) out; hex and escape formats in.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};

/// Formats bytes in PostgreSQL's default `bytea_output = hex`.
pub fn format_bytea(b: &[u8]) -> String {
    let mut out = String::with_capacity(2 + b.len() * 2);
    out.push_str("\\x");
    for byte in b {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Parses `\x` hex input (whitespace allowed between byte pairs) or the escape format
/// (`\\` and `\ooo` octal escapes, other bytes literal).
pub fn parse_bytea(input: &str) -> TypeResult<Vec<u8>> {
    if let Some(hex) = input.strip_prefix("\\x").or_else(|| input.strip_prefix("\\X")) {
        return parse_hex(hex);
    }
    let b = input.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
        } else if b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if i + 3 < b.len()
            && (b'0'..=b'3').contains(&b[i + 1])
            && (b'0'..=b'7').contains(&b[i + 2])
            && (b'0'..=b'7').contains(&b[i + 3])
        {
            out.push(((b[i + 1] - b'0') << 6) | ((b[i + 2] - b'0') << 3) | (b[i + 3] - b'0'));
            i += 4;
        } else {
            return Err(TypeError::other(
                SqlState::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type bytea",
            ));
        }
    }
    Ok(out)
}

fn hex_value(c: u8) -> TypeResult<u8> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => {
            let shown = String::from_utf8_lossy(&[c]).into_owned();
            Err(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid hexadecimal digit: \"{shown}\""),
            ))
        }
    }
}

fn parse_hex(hex: &str) -> TypeResult<Vec<u8>> {
    let b = hex.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 2);
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let hi = hex_value(b[i])?;
        let Some(&lo) = b.get(i + 1) else {
            return Err(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                "invalid hexadecimal data: odd number of digits",
            ));
        };
        if lo.is_ascii_whitespace() {
            return Err(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                "invalid hexadecimal data: odd number of digits",
            ));
        }
        out.push((hi << 4) | hex_value(lo)?);
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hex_and_escape_formats() {
        assert_eq!(format_bytea(&[0x0a, 0x0b]), "\\x0a0b");
        assert_eq!(parse_bytea("\\x0A0b"), Ok(vec![0x0a, 0x0b]));
        assert_eq!(parse_bytea("\\x0a 0b"), Ok(vec![0x0a, 0x0b]));
        assert_eq!(parse_bytea("abc\\\\\\001"), Ok(b"abc\\\x01".to_vec()));
        assert_eq!(parse_bytea(""), Ok(vec![]));
        assert_eq!(
            parse_bytea("\\xg0").unwrap_err().to_string(),
            "invalid hexadecimal digit: \"g\""
        );
        assert_eq!(
            parse_bytea("\\x0").unwrap_err().to_string(),
            "invalid hexadecimal data: odd number of digits"
        );
        let e = parse_bytea("a\\9").unwrap_err();
        assert_eq!(e.to_string(), "invalid input syntax for type bytea");
        assert_eq!(e.sqlstate().code(), "22P02");
    }

    proptest! {
        #[test]
        fn round_trips(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(parse_bytea(&format_bytea(&b)), Ok(b));
        }
    }
}
