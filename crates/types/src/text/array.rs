//! One-dimensional array text I/O: `{1,2,NULL}`, `{"a b","x\"y",NULL}`.
//!
//! An element is double-quoted on output when it is empty, spells `NULL`
//! (case-insensitively), or contains `{`, `}`, `,`, `"`, `\` or white space; inside
//! quotes `"` and `\` are backslash-escaped. Input follows PostgreSQL's `array_in` for
//! one dimension; multidimensional arrays and explicit bounds are not supported yet.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};

/// Appends one element's text, quoted if PostgreSQL would quote it.
pub fn push_element(out: &mut String, text: &str) {
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case("null")
        || text.chars().any(|c| {
            matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace() || c == '\u{b}'
        });
    if !needs_quotes {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Formats an array from its elements' texts (`None` for NULL).
pub fn format_array<'a>(elements: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::from("{");
    for (i, e) in elements.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match e {
            Some(text) => push_element(&mut out, text),
            None => out.push_str("NULL"),
        }
    }
    out.push('}');
    out
}

fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// Splits array input into its elements' texts (`None` for an unquoted `NULL`).
pub fn split_array(input: &str) -> TypeResult<Vec<Option<String>>> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(rest) = s.strip_prefix('[') {
        let (dims, body) = rest
            .split_once(']')
            .ok_or_else(|| malformed(input, "Missing \"]\" after array dimensions."))?;
        let body = body.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let body = body
            .strip_prefix('=')
            .ok_or_else(|| malformed(input, "Missing \"=\" after array dimensions."))?;
        let bound = |t: &str| {
            t.trim().parse::<i64>().map_err(|_| malformed(input, "Array bound is not an integer."))
        };
        let (lower, upper) = match dims.split_once(':') {
            Some((l, u)) => (bound(l)?, bound(u)?),
            None => (1, bound(dims)?),
        };
        if lower != 1 {
            return Err(TypeError::other(
                SqlState::FEATURE_NOT_SUPPORTED,
                "arrays with a lower bound other than 1 are not supported",
            ));
        }
        let elements = split_array(body)?;
        if elements.len() as i64 != upper - lower + 1 {
            return Err(malformed(
                input,
                "Specified array dimensions do not match array contents.",
            ));
        }
        return Ok(elements);
    }
    let Some(body) = s.strip_prefix('{') else {
        return Err(malformed(
            input,
            "Array value must start with \"{\" or dimension information.",
        ));
    };
    let chars: Vec<char> = body.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if chars.get(i) == Some(&'}') {
        i += 1;
        skip_ws(&mut i);
        if i != chars.len() {
            return Err(malformed(input, "Junk after closing right brace."));
        }
        return Ok(out);
    }
    loop {
        skip_ws(&mut i);
        match chars.get(i) {
            None => return Err(malformed(input, "Unexpected end of input.")),
            Some('{') => {
                return Err(TypeError::other(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "multidimensional arrays are not supported",
                ))
            }
            Some('}') | Some(',') => {
                return Err(malformed(input, &format!("Unexpected \"{}\" character.", chars[i])))
            }
            _ => {}
        }
        let mut text = String::new();
        let mut quoted_any = false;
        let mut closed_quote = false;
        let mut last_significant = 0usize;
        loop {
            match chars.get(i) {
                None => return Err(malformed(input, "Unexpected end of input.")),
                Some('"') => {
                    if !text.is_empty() || quoted_any {
                        return Err(malformed(input, "Incorrectly quoted array element."));
                    }
                    quoted_any = true;
                    closed_quote = true;
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(malformed(input, "Unexpected end of input.")),
                            Some('"') => break,
                            Some('\\') => {
                                i += 1;
                                text.push(
                                    *chars.get(i).ok_or_else(|| {
                                        malformed(input, "Unexpected end of input.")
                                    })?,
                                );
                            }
                            Some(c) => text.push(*c),
                        }
                        i += 1;
                    }
                    i += 1;
                    last_significant = text.len();
                }
                Some('\\') => {
                    if closed_quote {
                        return Err(malformed(input, "Incorrectly quoted array element."));
                    }
                    quoted_any = true;
                    i += 1;
                    text.push(
                        *chars
                            .get(i)
                            .ok_or_else(|| malformed(input, "Unexpected end of input."))?,
                    );
                    i += 1;
                    last_significant = text.len();
                }
                Some(',') | Some('}') => break,
                Some('{') => return Err(malformed(input, "Unexpected \"{\" character.")),
                Some(c) => {
                    if closed_quote && !c.is_ascii_whitespace() {
                        return Err(malformed(input, "Incorrectly quoted array element."));
                    }
                    text.push(*c);
                    if !c.is_ascii_whitespace() {
                        last_significant = text.len();
                    }
                    i += 1;
                }
            }
        }
        text.truncate(last_significant);
        if !quoted_any && text.eq_ignore_ascii_case("null") && last_significant == 4 {
            out.push(None);
        } else {
            out.push(Some(text));
        }
        match chars.get(i) {
            Some(',') => i += 1,
            Some('}') => {
                i += 1;
                skip_ws(&mut i);
                if i != chars.len() {
                    return Err(malformed(input, "Junk after closing right brace."));
                }
                return Ok(out);
            }
            _ => return Err(malformed(input, "Unexpected end of input.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_like_postgres() {
        assert_eq!(format_array([Some("1"), Some("2"), None]), "{1,2,NULL}");
        assert_eq!(format_array([Some("a b"), Some("x\"y"), None]), r#"{"a b","x\"y",NULL}"#);
        assert_eq!(
            format_array([Some(""), Some("null"), Some("a\\b"), Some("{")]),
            r#"{"","null","a\\b","{"}"#
        );
        assert_eq!(format_array(Vec::<Option<&str>>::new()), "{}");
    }

    #[test]
    fn splits_like_array_in() {
        let s = |x: &str| x.to_string();
        assert_eq!(split_array("{1,2,NULL}"), Ok(vec![Some(s("1")), Some(s("2")), None]));
        assert_eq!(
            split_array(r#" { "a b" , x\"y , "NULL", null } "#),
            Ok(vec![Some(s("a b")), Some(s("x\"y")), Some(s("NULL")), None])
        );
        assert_eq!(split_array("{}"), Ok(vec![]));
        assert_eq!(split_array("{ a b }"), Ok(vec![Some(s("a b"))]));
        for bad in ["", "1,2", "{1,2", "{1,,2}", "{1}x", "{,}", "{\"a}"] {
            let e = split_array(bad).unwrap_err();
            assert_eq!(e.to_string(), format!("malformed array literal: \"{bad}\""), "{bad}");
            assert_eq!(e.sqlstate().code(), "22P02");
        }
        assert_eq!(split_array("{{1},{2}}").unwrap_err().sqlstate().code(), "0A000");
        assert_eq!(split_array("[1:2]={1,2}"), Ok(vec![Some(s("1")), Some(s("2"))]));
        assert_eq!(split_array("[2]={1,2}"), Ok(vec![Some(s("1")), Some(s("2"))]));
        assert_eq!(split_array("[0:1]={1,2}").unwrap_err().sqlstate().code(), "0A000");
        for bad in ["[1:3]={1,2}", "{\"a\" b}", "{a\"b\"}", "{\"a\"\"b\"}", "[1:2]{1,2}"] {
            assert_eq!(split_array(bad).unwrap_err().sqlstate().code(), "22P02", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(items in proptest::collection::vec(proptest::option::of(".*"), 0..6)) {
            let text = format_array(items.iter().map(|o| o.as_deref()));
            prop_assert_eq!(split_array(&text), Ok(items));
        }
    }
}
