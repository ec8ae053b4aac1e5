//! `unistr(text)`: decodes Unicode escapes (`\XXXX`, `\+XXXXXX`, `\uXXXX`,
//! `\UXXXXXXXX`, `\\`), joining UTF-16 surrogate pairs written as two escapes, with
//! PostgreSQL's errors.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::string::s;

/// Registers `unistr`.
pub(crate) fn register(r: &mut Registry) {
    r.add("unistr", vec![p(DataType::Text)], ReturnType::Exact(DataType::Text), |a, _| {
        unistr(s(&a[0])).map(Value::Text)
    });
}

fn bad_escape() -> Error {
    Error::new(SqlState::SYNTAX_ERROR, "invalid Unicode escape")
        .with_hint("Unicode escapes must be \\XXXX, \\+XXXXXX, \\uXXXX, or \\UXXXXXXXX.")
}

fn bad_pair() -> Error {
    Error::new(SqlState::SYNTAX_ERROR, "invalid Unicode surrogate pair")
}

fn bad_code_point(c: u32) -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, format!("invalid Unicode code point: {c:04X}"))
}

fn is_high(c: u32) -> bool {
    (0xD800..0xDC00).contains(&c)
}

fn is_low(c: u32) -> bool {
    (0xDC00..0xE000).contains(&c)
}

/// The decoded text of `input`.
fn unistr(input: &str) -> Result<String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    // A high surrogate waiting for its low half.
    let mut pending: Option<u32> = None;
    while let Some(at) = rest.find('\\') {
        if pending.is_some() && at > 0 {
            return Err(bad_pair());
        }
        out.push_str(&rest[..at]);
        let esc = &rest[at + 1..];
        if let Some(after) = esc.strip_prefix('\\') {
            if pending.is_some() {
                return Err(bad_pair());
            }
            out.push('\\');
            rest = after;
            continue;
        }
        let (digits, skip) = match esc.as_bytes().first() {
            Some(b'+') => (6, 1),
            Some(b'u') => (4, 1),
            Some(b'U') => (8, 1),
            _ => (4, 0),
        };
        let hex = esc.get(skip..skip + digits).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        let code = hex.and_then(|h| u32::from_str_radix(h, 16).ok()).ok_or_else(bad_escape)?;
        rest = &esc[skip + digits..];
        let code = match pending.take() {
            Some(high) if is_low(code) => 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00),
            Some(_) => return Err(bad_pair()),
            None if is_high(code) => {
                pending = Some(code);
                continue;
            }
            None if is_low(code) => return Err(bad_pair()),
            None => code,
        };
        if code == 0 {
            return Err(bad_code_point(code));
        }
        out.push(char::from_u32(code).ok_or_else(|| bad_code_point(code))?);
    }
    if pending.is_some() {
        return Err(bad_pair());
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_escape_form() {
        assert_eq!(unistr("\\0064at\\+0000610").ok().as_deref(), Some("data0"));
        assert_eq!(unistr("d\\u0061t\\U000000610").ok().as_deref(), Some("data0"));
        assert_eq!(unistr("a\\\\b").ok().as_deref(), Some("a\\b"));
        assert_eq!(unistr("\\d83d\\de00").ok().as_deref(), Some("\u{1F600}"));
    }

    #[test]
    fn refuses_bad_escapes_as_postgresql_does() {
        let code = |s: &str| unistr(s).err().map(|e| e.sqlstate().code().to_string());
        assert_eq!(code("wrong: \\db99").as_deref(), Some("42601"));
        assert_eq!(code("wrong: \\db99\\0061").as_deref(), Some("42601"));
        assert_eq!(code("wrong: \\+2FFFFF").as_deref(), Some("22023"));
        assert_eq!(code("wrong: \\xyz").as_deref(), Some("42601"));
        assert_eq!(code("\\0000").as_deref(), Some("22023"));
        assert_eq!(code("a\\").as_deref(), Some("42601"));
    }
}
