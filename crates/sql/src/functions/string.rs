//! String functions: length, case, substrings, trimming, padding, searching, splitting,
//! concatenation, md5, chr/ascii, to_hex. Formatting and quoting live in `format.rs`,
//! regular-expression functions in `regex_fns.rs`.
//!
//! Positions and lengths count characters, not bytes, as in PostgreSQL with UTF-8.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Value};
use md5::{Digest, Md5};

use crate::functions::registry::{p, ParamType, Registry, ReturnType};

use DataType::{Bool, Bytea, Int4, Int8, Text};

fn ret(t: DataType) -> ReturnType {
    ReturnType::Exact(t)
}

fn text_array() -> DataType {
    DataType::Array(Box::new(Text))
}

/// Registers the string functions.
pub(crate) fn register(r: &mut Registry) {
    for name in ["length", "char_length", "character_length"] {
        r.add(name, vec![p(Text)], ret(Int4), |a, _| Ok(int(s(&a[0]).chars().count())));
    }
    r.add("length", vec![p(Bytea)], ret(Int4), |a, _| Ok(int(bytes(&a[0]).len())));
    r.add("octet_length", vec![p(Text)], ret(Int4), |a, _| Ok(int(s(&a[0]).len())));
    r.add("octet_length", vec![p(Bytea)], ret(Int4), |a, _| Ok(int(bytes(&a[0]).len())));
    // character(n) keeps its padding here (bpcharoctetlen), unlike length(), which sees
    // the value converted to text, and bit_length(), which has no character variant.
    r.add("octet_length", vec![p(DataType::Char(None))], ret(Int4), |a, _| Ok(int(s(&a[0]).len())));
    r.add("bit_length", vec![p(Text)], ret(Int4), |a, _| Ok(int(s(&a[0]).len() * 8)));
    r.add("lower", vec![p(Text)], ret(Text), |a, _| Ok(t(s(&a[0]).to_lowercase())));
    r.add("upper", vec![p(Text)], ret(Text), |a, _| Ok(t(s(&a[0]).to_uppercase())));
    r.add("initcap", vec![p(Text)], ret(Text), |a, _| Ok(t(initcap(s(&a[0])))));
    for name in ["substr", "substring"] {
        r.add(name, vec![p(Text), p(Int4)], ret(Text), |a, _| substring(s(&a[0]), i(&a[1]), None));
        r.add(name, vec![p(Text), p(Int4), p(Int4)], ret(Text), |a, _| {
            substring(s(&a[0]), i(&a[1]), Some(i(&a[2])))
        });
    }
    r.add(
        "substring",
        vec![p(Text), p(Text)],
        ret(Text),
        crate::functions::regex_fns::substring_regex,
    );
    r.add("strpos", vec![p(Text), p(Text)], ret(Int4), |a, _| Ok(int(strpos(s(&a[0]), s(&a[1])))));
    r.add("replace", vec![p(Text), p(Text), p(Text)], ret(Text), |a, _| {
        let from = s(&a[1]);
        Ok(t(if from.is_empty() { s(&a[0]).to_string() } else { s(&a[0]).replace(from, s(&a[2])) }))
    });
    r.add("translate", vec![p(Text), p(Text), p(Text)], ret(Text), |a, _| {
        Ok(t(translate(s(&a[0]), s(&a[1]), s(&a[2]))))
    });
    for name in ["btrim", "ltrim", "rtrim"] {
        r.add(name, vec![p(Text)], ret(Text), trim_fn(name, false));
        r.add(name, vec![p(Text), p(Text)], ret(Text), trim_fn(name, true));
    }
    r.add("lpad", vec![p(Text), p(Int4)], ret(Text), |a, _| {
        pad(s(&a[0]), i(&a[1]), " ", true).map(t)
    });
    r.add("lpad", vec![p(Text), p(Int4), p(Text)], ret(Text), |a, _| {
        pad(s(&a[0]), i(&a[1]), s(&a[2]), true).map(t)
    });
    r.add("rpad", vec![p(Text), p(Int4)], ret(Text), |a, _| {
        pad(s(&a[0]), i(&a[1]), " ", false).map(t)
    });
    r.add("rpad", vec![p(Text), p(Int4), p(Text)], ret(Text), |a, _| {
        pad(s(&a[0]), i(&a[1]), s(&a[2]), false).map(t)
    });
    r.add("left", vec![p(Text), p(Int4)], ret(Text), |a, _| Ok(t(left(s(&a[0]), i(&a[1])))));
    r.add("right", vec![p(Text), p(Int4)], ret(Text), |a, _| Ok(t(right(s(&a[0]), i(&a[1])))));
    r.add("repeat", vec![p(Text), p(Int4)], ret(Text), |a, _| {
        let n = usize::try_from(i(&a[1])).unwrap_or(0);
        check_size(s(&a[0]).len().saturating_mul(n))?;
        Ok(t(s(&a[0]).repeat(n)))
    });
    r.add("reverse", vec![p(Text)], ret(Text), |a, _| Ok(t(s(&a[0]).chars().rev().collect())));
    r.add("split_part", vec![p(Text), p(Text), p(Int4)], ret(Text), |a, _| {
        split_part(s(&a[0]), s(&a[1]), i(&a[2]))
    });
    r.add("starts_with", vec![p(Text), p(Text)], ret(Bool), |a, _| {
        Ok(Value::Bool(s(&a[0]).starts_with(s(&a[1]))))
    });
    r.add("concat", vec![ParamType::Any], ret(Text), |a, _| concat(a, "")).lenient().variadic();
    r.add("concat_ws", vec![p(Text), ParamType::Any], ret(Text), |a, _| {
        if a[0].is_null() {
            return Ok(Value::Null);
        }
        concat(&a[1..], s(&a[0]))
    })
    .lenient()
    .variadic();
    // Twins for `VARIADIC array` (see `functions/json.rs` `register_spread`).
    r.add("concat variadic", vec![ParamType::AnyArray], ret(Text), |a, _| match &a[0] {
        Value::Array(arr) => concat(&arr.elements, ""),
        _ => Ok(Value::Null),
    })
    .lenient();
    r.add("concat_ws variadic", vec![p(Text), ParamType::AnyArray], ret(Text), |a, _| {
        match (&a[0], &a[1]) {
            (Value::Text(sep), Value::Array(arr)) => concat(&arr.elements, sep),
            _ => Ok(Value::Null),
        }
    })
    .lenient();
    r.add("md5", vec![p(Text)], ret(Text), |a, _| Ok(t(md5_hex(s(&a[0]).as_bytes()))));
    r.add("md5", vec![p(Bytea)], ret(Text), |a, _| Ok(t(md5_hex(bytes(&a[0])))));
    r.add("chr", vec![p(Int4)], ret(Text), |a, _| chr(i(&a[0])));
    r.add("ascii", vec![p(Text)], ret(Int4), |a, _| {
        Ok(Value::Int4(
            s(&a[0]).chars().next().map_or(0, |c| i32::try_from(u32::from(c)).unwrap_or(0)),
        ))
    });
    r.add("to_hex", vec![p(Int4)], ret(Text), |a, _| {
        let v = i32::try_from(i(&a[0])).unwrap_or(0);
        Ok(t(format!("{:x}", u32::from_ne_bytes(v.to_ne_bytes()))))
    });
    r.add("to_hex", vec![p(Int8)], ret(Text), |a, _| {
        let Value::Int8(v) = a[0] else { return Ok(Value::Null) };
        Ok(t(format!("{:x}", u64::from_ne_bytes(v.to_ne_bytes()))))
    });
    r.add("string_to_array", vec![p(Text), p(Text)], ret(text_array()), |a, _| string_to_array(a))
        .lenient();
    r.add("string_to_array", vec![p(Text), p(Text), p(Text)], ret(text_array()), |a, _| {
        string_to_array(a)
    })
    .lenient();
    r.add("overlay", vec![p(Text), p(Text), p(Int4)], ret(Text), |a, _| {
        let len = i64::try_from(s(&a[1]).chars().count()).unwrap_or(0);
        overlay(s(&a[0]), s(&a[1]), i(&a[2]), len)
    });
    r.add("overlay", vec![p(Text), p(Text), p(Int4), p(Int4)], ret(Text), |a, _| {
        overlay(s(&a[0]), s(&a[1]), i(&a[2]), i(&a[3]))
    });
    r.add("encode", vec![p(Bytea), p(Text)], ret(Text), |a, _| encode(bytes(&a[0]), s(&a[1])));
    r.add("decode", vec![p(Text), p(Text)], ret(Bytea), |a, _| decode(s(&a[0]), s(&a[1])));
}

/// The conversion of `char(n)` to text: trailing blanks are not significant in
/// `character` values and PostgreSQL drops them when converting to text, comparing, or
/// matching patterns. The binder inserts it; it is not callable by name.
pub(crate) fn bpchar_to_text_function() -> &'static crate::functions::registry::ScalarFunction {
    static F: std::sync::LazyLock<crate::functions::registry::ScalarFunction> =
        std::sync::LazyLock::new(|| crate::functions::registry::ScalarFunction {
            name: "text",
            params: vec![p(DataType::Char(None))],
            variadic: false,
            ret: ReturnType::Exact(Text),
            eval: |a, _| Ok(t(s(&a[0]).trim_end_matches(' ').to_string())),
            strict: true,
            volatile: false,
        });
    &F
}

/// The string of a text argument (strict functions never see NULL here).
pub(crate) fn s(v: &Value) -> &str {
    match v {
        Value::Text(x) | Value::Json(x) => x,
        _ => "",
    }
}

fn bytes(v: &Value) -> &[u8] {
    match v {
        Value::Bytea(b) => b,
        _ => &[],
    }
}

/// An integer argument widened to i64.
pub(crate) fn i(v: &Value) -> i64 {
    crate::expr::num::to_i64(v).unwrap_or(0)
}

fn t(x: String) -> Value {
    Value::Text(x)
}

fn int(n: usize) -> Value {
    Value::Int4(i32::try_from(n).unwrap_or(i32::MAX))
}

#[derive(Clone, Copy)]
enum Side {
    Both,
    Leading,
    Trailing,
}

fn trim_fn(name: &str, with_chars: bool) -> crate::functions::registry::ScalarFn {
    match (name, with_chars) {
        ("btrim", false) => |a, _| Ok(t(trim(s(&a[0]), " ", Side::Both))),
        ("btrim", true) => |a, _| Ok(t(trim(s(&a[0]), s(&a[1]), Side::Both))),
        ("ltrim", false) => |a, _| Ok(t(trim(s(&a[0]), " ", Side::Leading))),
        ("ltrim", true) => |a, _| Ok(t(trim(s(&a[0]), s(&a[1]), Side::Leading))),
        (_, false) => |a, _| Ok(t(trim(s(&a[0]), " ", Side::Trailing))),
        (_, true) => |a, _| Ok(t(trim(s(&a[0]), s(&a[1]), Side::Trailing))),
    }
}

fn trim(x: &str, chars: &str, side: Side) -> String {
    let set: Vec<char> = chars.chars().collect();
    let pred = |c: char| set.contains(&c);
    match side {
        Side::Both => x.trim_matches(pred).to_string(),
        Side::Leading => x.trim_start_matches(pred).to_string(),
        Side::Trailing => x.trim_end_matches(pred).to_string(),
    }
}

fn initcap(x: &str) -> String {
    let mut out = String::with_capacity(x.len());
    let mut prev_alnum = false;
    for c in x.chars() {
        if prev_alnum {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        prev_alnum = c.is_alphanumeric();
    }
    out
}

/// `substring(x from start for len)`: positions before 1 shorten the result.
pub(crate) fn substring(x: &str, start: i64, len: Option<i64>) -> Result<Value> {
    if let Some(l) = len {
        if l < 0 {
            return Err(Error::new(
                SqlState::from_code("22011"),
                "negative substring length not allowed",
            ));
        }
    }
    let end = len.map(|l| start.saturating_add(l));
    let from = usize::try_from(start.max(1) - 1).unwrap_or(0);
    let out: String = match end {
        Some(e) if e <= 1 => String::new(),
        Some(e) => {
            x.chars().skip(from).take(usize::try_from(e - start.max(1)).unwrap_or(0)).collect()
        }
        None => x.chars().skip(from).collect(),
    };
    Ok(Value::Text(out))
}

fn strpos(hay: &str, needle: &str) -> usize {
    match hay.find(needle) {
        Some(b) => hay[..b].chars().count() + 1,
        None => 0,
    }
}

fn translate(x: &str, from: &str, to: &str) -> String {
    let from: Vec<char> = from.chars().collect();
    let to: Vec<char> = to.chars().collect();
    x.chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(k) => to.get(k).copied(),
            None => Some(c),
        })
        .collect()
}

/// Results larger than PostgreSQL's 1 GB value limit fail with 54000.
pub(crate) fn check_size(bytes: usize) -> Result<()> {
    if bytes >= (1 << 30) {
        return Err(Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "requested length too large"));
    }
    Ok(())
}

fn pad(x: &str, len: i64, fill: &str, left_side: bool) -> Result<String> {
    let len = usize::try_from(len).unwrap_or(0);
    check_size(len.saturating_mul(4))?;
    let chars: Vec<char> = x.chars().collect();
    if chars.len() >= len || fill.is_empty() {
        return Ok(chars.into_iter().take(len).collect());
    }
    let padding: String = fill.chars().cycle().take(len - chars.len()).collect();
    Ok(if left_side { format!("{padding}{x}") } else { format!("{x}{padding}") })
}

fn left(x: &str, n: i64) -> String {
    let count = i64::try_from(x.chars().count()).unwrap_or(0);
    let take = if n >= 0 { n } else { (count + n).max(0) };
    x.chars().take(usize::try_from(take).unwrap_or(0)).collect()
}

fn right(x: &str, n: i64) -> String {
    let count = i64::try_from(x.chars().count()).unwrap_or(0);
    let skip = if n >= 0 { (count - n).max(0) } else { (-n).min(count) };
    x.chars().skip(usize::try_from(skip).unwrap_or(0)).collect()
}

fn split_part(x: &str, delim: &str, n: i64) -> Result<Value> {
    if n == 0 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "field position must not be zero",
        ));
    }
    let parts: Vec<&str> = if delim.is_empty() { vec![x] } else { x.split(delim).collect() };
    let idx = if n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        usize::try_from(-n).ok().and_then(|k| parts.len().checked_sub(k))
    };
    Ok(t(idx.and_then(|k| parts.get(k)).map_or(String::new(), |p| (*p).to_string())))
}

/// Text form of a value for concat/format (booleans as t/f, like their output).
pub(crate) fn output_text(v: &Value) -> String {
    match v {
        Value::Text(x) => x.clone(),
        other => other.to_pg_text(),
    }
}

fn concat(args: &[Value], sep: &str) -> Result<Value> {
    let parts: Vec<String> = args.iter().filter(|v| !v.is_null()).map(output_text).collect();
    Ok(t(parts.join(sep)))
}

/// The lowercase hex MD5 digest of `data`.
pub(crate) fn md5_hex(data: &[u8]) -> String {
    let digest = Md5::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn chr(code: i64) -> Result<Value> {
    if code == 0 {
        return Err(Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "null character not permitted"));
    }
    let c = u32::try_from(code).ok().and_then(char::from_u32).ok_or_else(|| {
        Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, "requested character too large for encoding")
    })?;
    Ok(t(c.to_string()))
}

pub(crate) fn string_to_array(a: &[Value]) -> Result<Value> {
    let Value::Text(x) = &a[0] else { return Ok(Value::Null) };
    let null_str = match a.get(2) {
        Some(Value::Text(n)) => Some(n.as_str()),
        _ => None,
    };
    let parts: Vec<String> = if x.is_empty() {
        Vec::new()
    } else {
        match &a[1] {
            Value::Null => x.chars().map(|c| c.to_string()).collect(),
            Value::Text(d) if d.is_empty() => vec![x.clone()],
            Value::Text(d) => x.split(d.as_str()).map(str::to_string).collect(),
            _ => Vec::new(),
        }
    };
    let elements = parts
        .into_iter()
        .map(|p| if Some(p.as_str()) == null_str { Value::Null } else { Value::Text(p) })
        .collect();
    Ok(Value::Array(Arc::new(Array::new(Text, elements))))
}

fn overlay(x: &str, with: &str, from: i64, len: i64) -> Result<Value> {
    if from < 1 {
        return Err(Error::new(
            SqlState::from_code("22011"),
            "negative substring length not allowed",
        ));
    }
    let head: String = x.chars().take(usize::try_from(from - 1).unwrap_or(0)).collect();
    let tail: String =
        x.chars().skip(usize::try_from(from - 1 + len.max(0)).unwrap_or(0)).collect();
    Ok(t(format!("{head}{with}{tail}")))
}

fn encode(data: &[u8], format: &str) -> Result<Value> {
    match format.to_ascii_lowercase().as_str() {
        "hex" => Ok(t(data.iter().map(|b| format!("{b:02x}")).collect())),
        "base64" => Ok(t(base64_encode(data))),
        // PostgreSQL escapes only NUL, bytes with the high bit set and the backslash.
        "escape" => Ok(t(data
            .iter()
            .map(|b| match b {
                b'\\' => "\\\\".to_string(),
                0x01..=0x7f => char::from(*b).to_string(),
                other => format!("\\{other:03o}"),
            })
            .collect())),
        other => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("unrecognized encoding: \"{other}\""),
        )),
    }
}

/// `decode(x, 'escape')`: `\\` is a backslash, `\ooo` (first digit 0-3) an octal byte;
/// any other backslash is 22P02.
fn decode_escape(x: &str) -> Result<Vec<u8>> {
    let b = x.as_bytes();
    let bad =
        || Error::new(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type bytea");
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1..i + 4) {
            Some([d0 @ b'0'..=b'3', d1 @ b'0'..=b'7', d2 @ b'0'..=b'7']) => {
                out.push(((d0 - b'0') << 6) | ((d1 - b'0') << 3) | (d2 - b'0'));
                i += 4;
            }
            _ if b.get(i + 1) == Some(&b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

fn decode(x: &str, format: &str) -> Result<Value> {
    match format.to_ascii_lowercase().as_str() {
        "hex" => {
            let clean: Vec<u8> = x.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            if !clean.len().is_multiple_of(2) {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "invalid hexadecimal data: odd number of digits",
                ));
            }
            let mut out = Vec::with_capacity(clean.len() / 2);
            for pair in clean.chunks(2) {
                let hex = std::str::from_utf8(pair).unwrap_or("zz");
                let b = u8::from_str_radix(hex, 16).map_err(|_| {
                    Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid hexadecimal digit: \"{}\"", hex),
                    )
                })?;
                out.push(b);
            }
            Ok(Value::Bytea(out))
        }
        "base64" => base64_decode(x).map(Value::Bytea),
        "escape" => decode_escape(x).map(Value::Bytea),
        other => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("unrecognized encoding: \"{other}\""),
        )),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (k, b)| acc | (u32::from(*b) << (16 - 8 * k)));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(x: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in x.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=') {
        let v = B64.iter().position(|b| *b == c).ok_or_else(|| {
            Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "invalid symbol found while decoding base64 sequence",
            )
        })?;
        acc = (acc << 6) | u32::try_from(v).unwrap_or(0);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_positions_like_postgres() {
        assert_eq!(substring("hello", 2, Some(3)).ok(), Some(t("ell".into())));
        assert_eq!(substring("hello", -1, Some(3)).ok(), Some(t("h".into())));
        assert_eq!(substring("hello", 0, None).ok(), Some(t("hello".into())));
        assert!(substring("hello", 1, Some(-1)).is_err());
    }

    #[test]
    fn padding_and_sides() {
        assert_eq!(pad("hi", 5, "xy", true).ok(), Some("xyxhi".into()));
        assert_eq!(pad("hello", 3, " ", false).ok(), Some("hel".into()));
        assert_eq!(
            pad("x", i64::from(i32::MAX), " ", true).unwrap_err().sqlstate(),
            SqlState::PROGRAM_LIMIT_EXCEEDED
        );
        assert_eq!(left("abcde", -2), "abc");
        assert_eq!(right("abcde", -2), "cde");
        assert_eq!(right("abcde", 2), "de");
        assert_eq!(initcap("hello wORLD-foo"), "Hello World-Foo");
        assert_eq!(translate("12345", "143", "ax"), "a2x5");
    }

    #[test]
    fn split_and_base64() {
        assert_eq!(split_part("a,b,c", ",", -1).ok(), Some(t("c".into())));
        assert_eq!(split_part("a,b,c", ",", 5).ok(), Some(t(String::new())));
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_decode("aGVsbG8=").ok(), Some(b"hello".to_vec()));
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
