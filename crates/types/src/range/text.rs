//! Text input and output of ranges (`[1,5)`, `(,"2024-01-01 10:00")`, `empty`), as
//! PostgreSQL's `range_in` / `range_out`.
//!
//! Bounds are written with the subtype's output function and double-quoted when they
//! are empty or contain `"`, `\`, parentheses, brackets, a comma or white space (quotes
//! and backslashes inside are doubled). Input accepts the same form, backslash escapes,
//! and any case of `empty`.

use std::sync::Arc;

use helios_common::SqlState;

use super::bound::RangeBound;
use super::{RangeType, RangeValue};
use crate::error::{TypeError, TypeResult};
use crate::text::{parse_text, TimeZone};

/// `22P02 malformed range literal: "..."` with a DETAIL line.
fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("malformed range literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// Appends a bound's text, quoted as `range_out` does.
pub fn push_bound_text(out: &mut String, text: &str) {
    let quote = text.is_empty()
        || text.chars().any(|c| {
            matches!(c, '"' | '\\' | '(' | ')' | '[' | ']' | ',') || c.is_ascii_whitespace()
        });
    if quote {
        out.push('"');
    }
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// The text form of a range, `timestamptz` bounds shown in `tz`.
pub fn format_range(r: &RangeValue, tz: &TimeZone) -> String {
    if r.empty {
        return "empty".to_string();
    }
    let mut out = String::new();
    out.push(if r.lower.inclusive { '[' } else { '(' });
    if let Some(v) = &r.lower.value {
        push_bound_text(&mut out, &v.to_pg_text_tz(tz));
    }
    out.push(',');
    if let Some(v) = &r.upper.value {
        push_bound_text(&mut out, &v.to_pg_text_tz(tz));
    }
    out.push(if r.upper.inclusive { ']' } else { ')' });
    out
}

/// Reads one bound's text starting at byte `at`; `None` for an omitted (infinite)
/// bound. Returns the text and the position of the delimiter after it.
fn parse_bound(input: &str, at: usize) -> TypeResult<(Option<String>, usize)> {
    let bytes = input.as_bytes();
    let delim = |b: u8| matches!(b, b',' | b')' | b']');
    match bytes.get(at) {
        Some(&b) if delim(b) => return Ok((None, at)),
        None => return Err(malformed(input, "Unexpected end of input.")),
        _ => {}
    }
    let mut buf = String::new();
    let mut in_quote = false;
    let mut chars = input[at..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !in_quote && c.is_ascii() && delim(c as u8) {
            return Ok((Some(buf), at + i));
        }
        match c {
            '\\' => match chars.next() {
                Some((_, e)) => buf.push(e),
                None => return Err(malformed(input, "Unexpected end of input.")),
            },
            '"' if !in_quote => in_quote = true,
            '"' => {
                if let Some((_, '"')) = chars.peek() {
                    chars.next();
                    buf.push('"');
                } else {
                    in_quote = false;
                }
            }
            other => buf.push(other),
        }
    }
    Err(malformed(input, "Unexpected end of input."))
}

/// The pieces of a range literal: `None` for `empty`, else the bound texts and the
/// inclusivity flags (before the subtype reads the texts).
pub type RangeParts = Option<(Option<String>, bool, Option<String>, bool)>;

/// Splits a range literal into its parts, with PostgreSQL's `range_parse` errors.
pub fn split_range(input: &str) -> TypeResult<RangeParts> {
    let rest = input.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let at = input.len() - rest.len();
    if rest.len() >= 5 && rest.is_char_boundary(5) && rest[..5].eq_ignore_ascii_case("empty") {
        if !rest[5..].trim_matches(|c: char| c.is_ascii_whitespace()).is_empty() {
            return Err(malformed(input, "Junk after \"empty\" key word."));
        }
        return Ok(None);
    }
    let lower_inc = match rest.as_bytes().first() {
        Some(b'[') => true,
        Some(b'(') => false,
        _ => return Err(malformed(input, "Missing left parenthesis or bracket.")),
    };
    let (lower, at) = parse_bound(input, at + 1)?;
    if input.as_bytes().get(at) != Some(&b',') {
        return Err(malformed(input, "Missing comma after lower bound."));
    }
    let (upper, at) = parse_bound(input, at + 1)?;
    let upper_inc = match input.as_bytes().get(at) {
        Some(b']') => true,
        Some(b')') => false,
        _ => return Err(malformed(input, "Too many commas.")),
    };
    if !input[at + 1..].trim_matches(|c: char| c.is_ascii_whitespace()).is_empty() {
        return Err(malformed(input, "Junk after right parenthesis or bracket."));
    }
    Ok(Some((lower, lower_inc, upper, upper_inc)))
}

/// Reads a range literal of type `ty`; bound texts go through the subtype's input
/// (`timestamptz` without an offset read in `tz`).
pub fn parse_range(input: &str, ty: &Arc<RangeType>, tz: &TimeZone) -> TypeResult<RangeValue> {
    let Some((lower, lower_inc, upper, upper_inc)) = split_range(input)? else {
        return Ok(RangeValue::empty(ty.clone()));
    };
    let bound = |text: Option<String>, inclusive: bool, is_lower: bool| -> TypeResult<RangeBound> {
        Ok(match text {
            None => RangeBound::infinite(is_lower),
            Some(t) => RangeBound::finite(parse_text(&t, &ty.subtype, tz)?, inclusive, is_lower),
        })
    };
    let lower = bound(lower, lower_inc, true)?;
    let upper = bound(upper, upper_inc, false)?;
    RangeValue::new(ty.clone(), lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str, ty: &str) -> String {
        let t = RangeType::builtin(ty).unwrap();
        format_range(&parse_range(s, &t, &TimeZone::UTC).unwrap(), &TimeZone::UTC)
    }

    fn err(s: &str) -> TypeError {
        let t = RangeType::builtin("int4range").unwrap();
        parse_range(s, &t, &TimeZone::UTC).unwrap_err()
    }

    #[test]
    fn round_trips_like_postgres() {
        assert_eq!(rt("[1,10]", "int4range"), "[1,11)");
        assert_eq!(rt("  EmPty ", "int4range"), "empty");
        assert_eq!(rt("(,5]", "int4range"), "(,6)");
        assert_eq!(rt("[,]", "int4range"), "(,)");
        assert_eq!(rt("[1.50, 2)", "numrange"), "[1.50,2)");
        assert_eq!(rt("[\"1\",\"2\")", "numrange"), "[1,2)");
        assert_eq!(
            rt("[2010-01-01 01:00, 2010-01-02)", "tsrange"),
            "[\"2010-01-01 01:00:00\",\"2010-01-02 00:00:00\")"
        );
        assert_eq!(rt("(2000-01-10,2000-01-20]", "daterange"), "[2000-01-11,2000-01-21)");
        assert_eq!(rt("[3,3)", "int4range"), "empty");
        assert_eq!(rt("(-infinity,2000-01-01]", "daterange"), "(-infinity,2000-01-02)");
        assert_eq!(rt("[2000-01-01,infinity]", "daterange"), "[2000-01-01,infinity]");
    }

    #[test]
    fn malformed_literals_say_why() {
        let e = err("-[1,2)");
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(e.to_string(), "malformed range literal: \"-[1,2)\"");
        let detail = |e: TypeError| match e {
            TypeError::Other { detail, .. } => detail.unwrap_or_default(),
            _ => String::new(),
        };
        assert_eq!(detail(err("[1,2) x")), "Junk after right parenthesis or bracket.");
        assert_eq!(detail(err("(1,2,3)")), "Too many commas.");
        assert_eq!(detail(err("(1")), "Unexpected end of input.");
        assert_eq!(detail(err("empty x")), "Junk after \"empty\" key word.");
        assert_eq!(err("[a,2)").to_string(), "invalid input syntax for type integer: \"a\"");
        assert_eq!(err("[3,2)").sqlstate(), SqlState::DATA_EXCEPTION);
    }

    #[test]
    fn bounds_are_quoted_when_needed() {
        let mut s = String::new();
        push_bound_text(&mut s, "a\"b");
        assert_eq!(s, "\"a\"\"b\"");
        let mut s = String::new();
        push_bound_text(&mut s, "");
        assert_eq!(s, "\"\"");
    }
}
