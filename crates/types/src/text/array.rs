//! Array text I/O: `{1,2,NULL}`, `{"a b","x\"y",NULL}`, `{{1,2},{3,4}}`, `[0:1]={1,2}`.
//!
//! An element is double-quoted on output when it is empty, spells `NULL`
//! (case-insensitively), or contains `{`, `}`, `,`, `"`, `\` or white space; inside
//! quotes `"` and `\` are backslash-escaped. Input follows PostgreSQL's `array_in`,
//! including nested braces and an explicit `[lower:upper]...=` shape; output prints the
//! shape only when a lower bound is not 1, as `array_out` does.

use helios_common::SqlState;

use crate::array::{too_many_dims, ArrayDim, MAX_DIMS};
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

/// Formats an array of the given shape from its elements' texts in row-major order
/// (`None` for NULL): nested braces, with a `[lower:upper]...=` prefix when a lower
/// bound is not 1. `dims` must hold exactly the elements given.
pub fn format_array_dims<'a>(
    dims: &[ArrayDim],
    elements: impl IntoIterator<Item = Option<&'a str>>,
) -> String {
    let mut out = String::new();
    if dims.iter().any(|d| d.lower != 1) {
        for d in dims {
            out.push_str(&format!("[{}:{}]", d.lower, d.upper()));
        }
        out.push('=');
    }
    if dims.is_empty() {
        out.push_str("{}");
        return out;
    }
    // `counters[k]` counts the items written so far inside the open level `k`.
    let n = dims.len();
    let mut counters = vec![0i32; n];
    out.extend(std::iter::repeat_n('{', n));
    for e in elements {
        if counters[n - 1] > 0 {
            out.push(',');
        }
        match e {
            Some(text) => push_element(&mut out, text),
            None => out.push_str("NULL"),
        }
        counters[n - 1] += 1;
        // Close every level that is full, then open the next sibling.
        let mut k = n - 1;
        while counters[k] == dims[k].len {
            out.push('}');
            counters[k] = 0;
            if k == 0 {
                return out;
            }
            k -= 1;
            counters[k] += 1;
            if counters[k] < dims[k].len {
                out.push(',');
                out.extend(std::iter::repeat_n('{', n - 1 - k));
                break;
            }
        }
    }
    out
}

fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// Parsed array input: the elements' texts in row-major order (`None` for an unquoted
/// `NULL`) and the dimensions (empty for `{}`).
pub type ParsedArray = (Vec<Option<String>>, Vec<ArrayDim>);

/// Splits one-dimensional array input into its elements' texts; multidimensional input
/// is an error (see [`parse_array`]).
pub fn split_array(input: &str) -> TypeResult<Vec<Option<String>>> {
    let (elements, dims) = parse_array(input)?;
    if dims.len() > 1 {
        return Err(TypeError::other(
            SqlState::FEATURE_NOT_SUPPORTED,
            "multidimensional arrays are not supported here",
        ));
    }
    Ok(elements)
}

/// Reads array input as PostgreSQL's `array_in` does: `{1,2}`, `{{1,2},{3,4}}`, and an
/// optional explicit shape in front, `[0:1]={1,2}` or `[1:2][1:1]={{1},{2}}`.
pub fn parse_array(input: &str) -> TypeResult<ParsedArray> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut explicit: Vec<ArrayDim> = Vec::new();
    let mut body = s;
    if s.starts_with('[') {
        let mut rest = s;
        while let Some(r) = rest.strip_prefix('[') {
            let (dim, tail) = r
                .split_once(']')
                .ok_or_else(|| malformed(input, "Missing \"]\" after array dimensions."))?;
            let bound = |t: &str| {
                t.trim()
                    .parse::<i32>()
                    .map_err(|_| malformed(input, "Array bound is not an integer."))
            };
            let (lower, upper) = match dim.split_once(':') {
                Some((l, u)) => (bound(l)?, bound(u)?),
                None => (1, bound(dim)?),
            };
            if i64::from(upper) < i64::from(lower) - 1 {
                return Err(TypeError::other(
                    SqlState::ARRAY_SUBSCRIPT_ERROR,
                    "upper bound cannot be less than lower bound",
                ));
            }
            let len = i32::try_from(i64::from(upper) - i64::from(lower) + 1).map_err(|_| {
                TypeError::other(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "array size exceeds the maximum allowed",
                )
            })?;
            explicit.push(ArrayDim { lower, len });
            if explicit.len() > MAX_DIMS {
                return Err(too_many_dims(explicit.len()));
            }
            rest = tail.trim_start_matches(|c: char| c.is_ascii_whitespace());
        }
        body = rest
            .strip_prefix('=')
            .ok_or_else(|| malformed(input, "Missing \"=\" after array dimensions."))?;
        body = body.trim_start_matches(|c: char| c.is_ascii_whitespace());
    }
    let (elements, lens) = parse_braces(input, body)?;
    if explicit.is_empty() {
        let dims = lens.iter().map(|&len| ArrayDim { lower: 1, len }).collect();
        return Ok((elements, dims));
    }
    let matches = explicit.len() == lens.len()
        && explicit.iter().zip(&lens).all(|(d, &n)| d.len == n)
        || lens.is_empty() && explicit.iter().any(|d| d.len == 0);
    if !matches {
        return Err(malformed(input, "Specified array dimensions do not match array contents."));
    }
    Ok((elements, if lens.is_empty() { Vec::new() } else { explicit }))
}

/// Reads the braces part of array input: the elements and the length of each dimension.
fn parse_braces(input: &str, body: &str) -> TypeResult<(Vec<Option<String>>, Vec<i32>)> {
    let Some(body) = body.strip_prefix('{') else {
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
        return Ok((out, Vec::new()));
    }
    // The nesting depth (1 inside the outer braces), the items seen so far at each open
    // level, the length each level must have (set by its first closing), and the depth
    // at which elements sit (set by the first element).
    let mut depth = 1usize;
    let mut counts: Vec<i32> = vec![0];
    let mut lens: Vec<Option<i32>> = vec![None];
    let mut leaf_depth: Option<usize> = None;
    let unexpected = |c: char| malformed(input, &format!("Unexpected \"{c}\" character."));
    loop {
        // Expecting an item: a nested `{` or an element.
        skip_ws(&mut i);
        match chars.get(i) {
            None => return Err(malformed(input, "Unexpected end of input.")),
            Some('{') => {
                if leaf_depth.is_some_and(|d| depth >= d) {
                    return Err(unexpected('{'));
                }
                depth += 1;
                if depth > MAX_DIMS {
                    return Err(too_many_dims(depth));
                }
                counts.push(0);
                if lens.len() < depth {
                    lens.push(None);
                }
                i += 1;
                continue;
            }
            Some(&c @ ('}' | ',')) => return Err(unexpected(c)),
            _ => {}
        }
        match leaf_depth {
            None => leaf_depth = Some(depth),
            Some(d) if d != depth => {
                return Err(if chars.get(i) == Some(&'\\') {
                    unexpected('\\')
                } else {
                    malformed(input, "Unexpected array element.")
                })
            }
            Some(_) => {}
        }
        out.push(read_element(input, &chars, &mut i)?);
        *counts.last_mut().expect("an open level") += 1;
        // After an item: `,` for the next one, or `}` closing one or more levels.
        loop {
            skip_ws(&mut i);
            match chars.get(i) {
                Some(',') => {
                    i += 1;
                    break;
                }
                Some('}') => {
                    i += 1;
                    let n = counts.pop().expect("an open level");
                    let want = &mut lens[depth - 1];
                    match want {
                        None => *want = Some(n),
                        Some(w) if *w != n => {
                            return Err(malformed(
                                input,
                                "Multidimensional arrays must have sub-arrays with matching \
                                 dimensions.",
                            ))
                        }
                        Some(_) => {}
                    }
                    depth -= 1;
                    if depth == 0 {
                        skip_ws(&mut i);
                        if i != chars.len() {
                            return Err(malformed(input, "Junk after closing right brace."));
                        }
                        let lens = lens.into_iter().map(|l| l.unwrap_or(0)).collect();
                        return Ok((out, lens));
                    }
                    *counts.last_mut().expect("an open level") += 1;
                }
                Some(&c) => return Err(unexpected(c)),
                None => return Err(malformed(input, "Unexpected end of input.")),
            }
        }
    }
}

/// Reads one element's text from `chars[*i..]`, up to (not past) the `,` or `}` that
/// ends it; `None` for an unquoted `NULL`.
fn read_element(input: &str, chars: &[char], i: &mut usize) -> TypeResult<Option<String>> {
    let mut text = String::new();
    let mut quoted_any = false;
    let mut closed_quote = false;
    let mut last_significant = 0usize;
    loop {
        match chars.get(*i) {
            None => return Err(malformed(input, "Unexpected end of input.")),
            Some('"') => {
                if !text.is_empty() || quoted_any {
                    return Err(malformed(input, "Unexpected array element."));
                }
                quoted_any = true;
                closed_quote = true;
                *i += 1;
                loop {
                    match chars.get(*i) {
                        None => return Err(malformed(input, "Unexpected end of input.")),
                        Some('"') => break,
                        Some('\\') => {
                            *i += 1;
                            text.push(
                                *chars
                                    .get(*i)
                                    .ok_or_else(|| malformed(input, "Unexpected end of input."))?,
                            );
                        }
                        Some(c) => text.push(*c),
                    }
                    *i += 1;
                }
                *i += 1;
                last_significant = text.len();
            }
            Some('\\') => {
                if closed_quote {
                    return Err(malformed(input, "Unexpected \"\\\" character."));
                }
                quoted_any = true;
                *i += 1;
                text.push(
                    *chars.get(*i).ok_or_else(|| malformed(input, "Unexpected end of input."))?,
                );
                *i += 1;
                last_significant = text.len();
            }
            Some(',') | Some('}') => break,
            Some('{') => return Err(malformed(input, "Unexpected \"{\" character.")),
            Some(c) => {
                if closed_quote && !c.is_ascii_whitespace() {
                    return Err(malformed(input, "Unexpected array element."));
                }
                text.push(*c);
                if !c.is_ascii_whitespace() {
                    last_significant = text.len();
                }
                *i += 1;
            }
        }
    }
    text.truncate(last_significant);
    if !quoted_any && text.eq_ignore_ascii_case("null") && last_significant == 4 {
        Ok(None)
    } else {
        Ok(Some(text))
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

        assert_eq!(split_array("[1:2]={1,2}"), Ok(vec![Some(s("1")), Some(s("2"))]));
        assert_eq!(split_array("[2]={1,2}"), Ok(vec![Some(s("1")), Some(s("2"))]));
        assert_eq!(split_array("[0:1]={1,2}"), Ok(vec![Some(s("1")), Some(s("2"))]));
        for bad in ["[1:3]={1,2}", "{\"a\" b}", "{a\"b\"}", "{\"a\"\"b\"}", "[1:2]{1,2}"] {
            assert_eq!(split_array(bad).unwrap_err().sqlstate().code(), "22P02", "{bad}");
        }
    }

    #[test]
    fn multidimensional_like_array_in() {
        let s = |x: &str| Some(x.to_string());
        let d = |lower, len| ArrayDim { lower, len };
        assert_eq!(
            parse_array("{{1,2},{3,4}}"),
            Ok((vec![s("1"), s("2"), s("3"), s("4")], vec![d(1, 2), d(1, 2)]))
        );
        assert_eq!(
            parse_array("[1:2][0:0]={{1},{NULL}}"),
            Ok((vec![s("1"), None], vec![d(1, 2), d(0, 1)]))
        );
        let detail = |x: &str| match parse_array(x).unwrap_err() {
            TypeError::Other { detail, .. } => detail,
            other => panic!("{other:?}"),
        };
        let ragged = "Multidimensional arrays must have sub-arrays with matching dimensions.";
        assert_eq!(detail("{{1,2},{3}}").as_deref(), Some(ragged));
        assert_eq!(detail("{{1,2},3}").as_deref(), Some("Unexpected array element."));
        assert_eq!(detail("{1,{2}}").as_deref(), Some("Unexpected \"{\" character."));
        assert_eq!(detail("{{},{}}").as_deref(), Some("Unexpected \"}\" character."));
        assert_eq!(
            detail("[1:2]={{1},{2}}").as_deref(),
            Some("Specified array dimensions do not match array contents.")
        );
        assert_eq!(parse_array("{{{{{{{1}}}}}}}").unwrap_err().sqlstate().code(), "54000");
    }

    #[test]
    fn formats_nested_braces() {
        let d = |lower, len| ArrayDim { lower, len };
        let items = [Some("1"), Some("2"), None, Some("a b"), Some("5"), Some("6")];
        assert_eq!(format_array_dims(&[d(1, 2), d(1, 3)], items), r#"{{1,2,NULL},{"a b",5,6}}"#);
        assert_eq!(format_array_dims(&[d(1, 3), d(1, 2)], items), r#"{{1,2},{NULL,"a b"},{5,6}}"#);
        assert_eq!(
            format_array_dims(&[d(0, 2), d(1, 1), d(1, 1)], [Some("1"), Some("2")]),
            "[0:1][1:1][1:1]={{{1}},{{2}}}"
        );
        assert_eq!(format_array_dims(&[d(-1, 2)], [Some("a"), Some("b")]), "[-1:0]={a,b}");
    }

    proptest! {
        #[test]
        fn round_trips(items in proptest::collection::vec(proptest::option::of(".*"), 0..6)) {
            let text = format_array(items.iter().map(|o| o.as_deref()));
            prop_assert_eq!(split_array(&text), Ok(items));
        }
    }
}
