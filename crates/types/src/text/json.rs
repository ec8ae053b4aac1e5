//! `json` and `jsonb` text I/O.
//!
//! `json` keeps the text as written (validated). `jsonb` is parsed; numbers are kept
//! exactly as PostgreSQL's `numeric` prints them (`1e2` → `100`, `1.50` stays `1.50`),
//! duplicate object keys keep the last value, and output orders keys by length, then
//! bytes, with PostgreSQL's spacing: `{"a": 1, "b": [1, 2]}`.

use std::str::FromStr;

use helios_common::SqlState;
use serde_json::{Map, Number, Value as Json};

use super::numeric::{format_numeric, parse_numeric};
use crate::error::{TypeError, TypeResult};

fn json_error(ty: &str, err: &serde_json::Error) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {ty}"),
    )
    .with_detail(format!("{err}."))
}

/// Validates `json` input and returns it unchanged.
pub fn parse_json(input: &str) -> TypeResult<String> {
    super::json_syntax::validate(input).map_err(|detail| {
        TypeError::other(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type json",
        )
        .with_detail(detail)
    })?;
    Ok(input.to_string())
}

/// Parses `jsonb` input into its normalised document.
pub fn parse_jsonb(input: &str) -> TypeResult<Json> {
    let doc: Json = serde_json::from_str(input).map_err(|e| json_error("json", &e))?;
    normalise(doc)
}

/// Normalises a parsed document the way `jsonb` stores it: canonical numbers, no `\u0000`.
pub fn normalise(doc: Json) -> TypeResult<Json> {
    Ok(match doc {
        Json::Number(n) => Json::Number(canonical_number(&n)?),
        Json::String(s) => Json::String(check_text(s)?),
        Json::Array(items) => {
            Json::Array(items.into_iter().map(normalise).collect::<TypeResult<_>>()?)
        }
        Json::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(check_text(k)?, normalise(v)?);
            }
            Json::Object(out)
        }
        other => other,
    })
}

fn check_text(s: String) -> TypeResult<String> {
    if s.contains('\0') {
        return Err(TypeError::other(
            SqlState::UNTRANSLATABLE_CHARACTER,
            "unsupported Unicode escape sequence",
        )
        .with_detail("\\u0000 cannot be converted to text."));
    }
    Ok(s)
}

fn canonical_number(n: &Number) -> TypeResult<Number> {
    let text = format_numeric(&parse_numeric(&n.to_string())?);
    Number::from_str(&text).map_err(|_| TypeError::syntax("json", &text))
}

/// Formats a `jsonb` document as PostgreSQL prints it.
pub fn format_jsonb(doc: &Json) -> String {
    let mut out = String::new();
    write_jsonb(&mut out, doc);
    out
}

fn write_jsonb(out: &mut String, doc: &Json) {
    match doc {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => write_string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(out, item);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (k, v)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, k);
                out.push_str(": ");
                write_jsonb(out, v);
            }
            out.push('}');
        }
    }
}

/// Object entries in `jsonb` order: shorter keys first, then bytewise.
pub fn sorted_entries(map: &Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries
        .sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.as_bytes().cmp(b.0.as_bytes())));
    entries
}

/// Writes a JSON string literal with PostgreSQL's `escape_json` rules.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_normalises_like_postgres() {
        let doc =
            parse_jsonb(r#"{"b": [1,2], "a": 1, "aa": 1.50, "a": 2, "c": 1e2, "d": "x\"\n"}"#)
                .unwrap();
        assert_eq!(
            format_jsonb(&doc),
            r#"{"a": 2, "b": [1, 2], "c": 100, "d": "x\"\n", "aa": 1.50}"#
        );
        assert_eq!(format_jsonb(&parse_jsonb(" [ ] ").unwrap()), "[]");
        assert_eq!(format_jsonb(&parse_jsonb("{}").unwrap()), "{}");
        assert_eq!(format_jsonb(&parse_jsonb("-0.0").unwrap()), "0.0");
        assert_eq!(
            format_jsonb(&parse_jsonb("123456789012345678901234567890").unwrap()),
            "123456789012345678901234567890"
        );
        let e = parse_jsonb(r#""\u0000""#).unwrap_err();
        assert_eq!(e.sqlstate().code(), "22P05");
    }

    #[test]
    fn json_keeps_text_and_validates() {
        assert_eq!(parse_json(r#"{"b":1, "a":2}"#).unwrap(), r#"{"b":1, "a":2}"#);
        let e = parse_json("{x").unwrap_err();
        assert_eq!(e.to_string(), "invalid input syntax for type json");
        assert_eq!(e.sqlstate().code(), "22P02");
        assert!(parse_jsonb("[1,]").is_err());
    }
}
