//! Regular-expression functions: `regexp_replace`, `regexp_match`, `regexp_like`,
//! `regexp_split_to_array`, PostgreSQL 15's `regexp_count` / `regexp_instr` /
//! `regexp_substr`, `substring(text FROM pattern)`, and the rows of the set-returning
//! `regexp_matches` (bound in [`super::table`]).

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Value};

use crate::expr::pattern::{compile_are, compile_regex, Captures, Pattern, RegexOptions, Source};
use crate::expr::EvalContext;
use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::string::s;

/// Registers the regular-expression functions.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Bool, Int4, Text};
    let arr = || ReturnType::Exact(DataType::Array(Box::new(Text)));
    r.add("regexp_replace", vec![p(Text), p(Text), p(Text)], ReturnType::Exact(Text), |a, _| {
        regexp_replace(s(&a[0]), s(&a[1]), s(&a[2]), "")
    });
    r.add(
        "regexp_replace",
        vec![p(Text), p(Text), p(Text), p(Text)],
        ReturnType::Exact(Text),
        |a, _| {
            regexp_replace(s(&a[0]), s(&a[1]), s(&a[2]), s(&a[3])).map_err(|e| {
                if s(&a[3]).parse::<i64>().is_ok() {
                    e.with_hint("If you meant to use regexp_replace() with a start parameter, cast the fourth argument to integer explicitly.")
                } else {
                    e
                }
            })
        },
    );
    // regexp_replace(string, pattern, replacement, start [, N [, flags]])
    let from = |a: &[Value], _: &dyn EvalContext| {
        let start = positive("start", a.get(3), 1)?;
        let n = match a.get(4).map(int) {
            None => None,
            Some(n) if n >= 0 => Some(usize::try_from(n).map_err(|_| bad_parameter("n", n))?),
            Some(n) => return Err(bad_parameter("n", n)),
        };
        regexp_replace_from(s(&a[0]), s(&a[1]), s(&a[2]), start, n, a.get(5).map_or("", s))
    };
    let mut params = vec![p(Text), p(Text), p(Text), p(Int4)];
    for extra in [Int4, Text] {
        r.add("regexp_replace", params.clone(), ReturnType::Exact(Text), from);
        params.push(p(extra));
    }
    r.add("regexp_replace", params, ReturnType::Exact(Text), from);
    r.add("regexp_match", vec![p(Text), p(Text)], arr(), |a, _| {
        regexp_match(s(&a[0]), s(&a[1]), "")
    });
    r.add("regexp_match", vec![p(Text), p(Text), p(Text)], arr(), |a, _| {
        regexp_match(s(&a[0]), s(&a[1]), s(&a[2]))
    });
    r.add("regexp_like", vec![p(Text), p(Text)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(compile(s(&a[1]), "")?.0.is_match(s(&a[0]))?))
    });
    r.add("regexp_like", vec![p(Text), p(Text), p(Text)], ReturnType::Exact(Bool), |a, _| {
        let re = compile_once("regexp_like", s(&a[1]), s(&a[2]))?;
        Ok(Value::Bool(re.is_match(s(&a[0]))?))
    });
    // regexp_count(string, pattern [, start [, flags]])
    let count = |a: &[Value], _: &dyn EvalContext| {
        let from = Occurrences::new("regexp_count", a, a.get(2), a.get(3))?;
        let count = from.matches().try_fold(0usize, |n, m| m.map(|_| n + 1))?;
        Ok(Value::Int4(i32::try_from(count).unwrap_or(i32::MAX)))
    };
    r.add("regexp_count", vec![p(Text), p(Text)], ReturnType::Exact(Int4), count);
    r.add("regexp_count", vec![p(Text), p(Text), p(Int4)], ReturnType::Exact(Int4), count);
    r.add("regexp_count", vec![p(Text), p(Text), p(Int4), p(Text)], ReturnType::Exact(Int4), count);
    // regexp_instr(string, pattern [, start [, N [, endoption [, flags [, subexpr]]]]])
    let instr = |a: &[Value], _: &dyn EvalContext| {
        let from = Occurrences::new("regexp_instr", a, a.get(2), a.get(5))?;
        let n = positive("n", a.get(3), 1)?;
        let end = match a.get(4).map(int) {
            None | Some(0) => false,
            Some(1) => true,
            Some(other) => return Err(bad_parameter("endoption", other)),
        };
        let sub = non_negative("subexpr", a.get(6))?;
        Ok(Value::Int4(match from.nth(n, sub)? {
            Some((start, stop)) => from.char_position(if end { stop } else { start }),
            None => 0,
        }))
    };
    let mut params = vec![p(Text), p(Text)];
    for extra in [Int4, Int4, Int4, Text, Int4] {
        r.add("regexp_instr", params.clone(), ReturnType::Exact(Int4), instr);
        params.push(p(extra));
    }
    r.add("regexp_instr", params, ReturnType::Exact(Int4), instr);
    // regexp_substr(string, pattern [, start [, N [, flags [, subexpr]]]])
    let substr = |a: &[Value], _: &dyn EvalContext| {
        let from = Occurrences::new("regexp_substr", a, a.get(2), a.get(4))?;
        let n = positive("n", a.get(3), 1)?;
        let sub = non_negative("subexpr", a.get(5))?;
        Ok(match from.nth(n, sub)? {
            Some((start, stop)) => Value::Text(from.text[start..stop].to_string()),
            None => Value::Null,
        })
    };
    let mut params = vec![p(Text), p(Text)];
    for extra in [Int4, Int4, Text, Int4] {
        r.add("regexp_substr", params.clone(), ReturnType::Exact(Text), substr);
        params.push(p(extra));
    }
    r.add("regexp_substr", params, ReturnType::Exact(Text), substr);
    r.add("regexp_split_to_array", vec![p(Text), p(Text)], arr(), |a, _| {
        split(s(&a[0]), s(&a[1]), "")
    });
    r.add("regexp_split_to_array", vec![p(Text), p(Text), p(Text)], arr(), |a, _| {
        split(s(&a[0]), s(&a[1]), s(&a[2]))
    });
}

/// Parses PostgreSQL regex flags: how the pattern compiles, and whether `g` was given.
fn flags(f: &str) -> Result<(RegexOptions, bool)> {
    let mut o = RegexOptions::are(false);
    let mut global = false;
    for c in f.chars() {
        match c {
            'i' => o.case_insensitive = true,
            'c' => o.case_insensitive = false,
            'g' => global = true,
            // Newline-sensitive (`m` is its old name): `.` stops at newlines, `^` and `$`
            // match at them; `p` and `w` are its two halves, `s` the default.
            'n' | 'm' => (o.dot_all, o.multi_line) = (false, true),
            'p' => (o.dot_all, o.multi_line) = (false, false),
            'w' => (o.dot_all, o.multi_line) = (true, true),
            's' => (o.dot_all, o.multi_line) = (true, false),
            'x' => o.expanded = true,
            't' => o.expanded = false,
            'q' => o.source = Source::Literal,
            other => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid regular expression option: \"{other}\""),
                ))
            }
        }
    }
    Ok((o, global))
}

fn compile(pattern: &str, f: &str) -> Result<(Arc<Pattern>, bool)> {
    let (options, global) = flags(f)?;
    Ok((compile_regex(pattern, options)?, global))
}

/// [`compile`] for a function that finds one match, or splits: the `g` flag is an error.
fn compile_once(name: &str, pattern: &str, f: &str) -> Result<Arc<Pattern>> {
    let (re, global) = compile(pattern, f)?;
    if global {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("{name}() does not support the \"global\" option"),
        ));
    }
    Ok(re)
}

/// Translates a PostgreSQL replacement string (`\1`, `\&`, `\\`) to `regex` syntax.
fn replacement(rep: &str) -> String {
    let mut out = String::with_capacity(rep.len());
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d @ '1'..='9') => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('&') => {
                    chars.next();
                    out.push_str("${0}");
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    out
}

fn regexp_replace(x: &str, pattern: &str, rep: &str, f: &str) -> Result<Value> {
    regexp_replace_from(x, pattern, rep, 1, None, f)
}

/// `regexp_replace` from the `start`-th character on, replacing the `n`-th match (every
/// match for 0; without `n`, the first one, or every one with the `g` flag).
fn regexp_replace_from(
    x: &str,
    pattern: &str,
    rep: &str,
    start: usize,
    n: Option<usize>,
    f: &str,
) -> Result<Value> {
    let (re, global) = compile(pattern, f)?;
    let n = n.unwrap_or(if global { 0 } else { 1 });
    let Some((at, _)) = x.char_indices().nth(start - 1) else {
        return Ok(Value::Text(x.to_string()));
    };
    let rep = replacement(rep);
    let (mut out, mut copied) = (String::with_capacity(x.len()), 0);
    for (seen, caps) in re.matches_from(x, at).enumerate() {
        let caps = caps?;
        let Some(m) = caps.get(0) else { break };
        if n == 0 || seen + 1 == n {
            out.push_str(&x[copied..m.start()]);
            caps.expand(&rep, &mut out);
            copied = m.end();
            if n != 0 {
                break;
            }
        }
    }
    out.push_str(&x[copied..]);
    Ok(Value::Text(out))
}

fn text_array(elements: Vec<Value>) -> Value {
    Value::Array(Arc::new(Array::new(DataType::Text, elements)))
}

fn regexp_match(x: &str, pattern: &str, f: &str) -> Result<Value> {
    let re = compile_once("regexp_match", pattern, f)
        .map_err(|e| e.with_hint("Use the regexp_matches function instead."))?;
    Ok(re.captures(x)?.map_or(Value::Null, |caps| groups(&caps)))
}

/// A match as `regexp_match` returns it: a text array of the capture groups (NULL for a
/// group that did not take part), or of the whole match when the pattern has none.
fn groups(caps: &Captures<'_>) -> Value {
    let text = |m: Option<fancy_regex::Match<'_>>| {
        m.map_or(Value::Null, |m| Value::Text(m.as_str().to_string()))
    };
    let elems: Vec<Value> = if caps.len() == 1 {
        vec![text(caps.get(0))]
    } else {
        (1..caps.len()).map(|k| text(caps.get(k))).collect()
    };
    text_array(elems)
}

fn split(x: &str, pattern: &str, f: &str) -> Result<Value> {
    let re = compile_once("regexp_split_to_array", pattern, f)?;
    Ok(text_array(re.split(x)?.into_iter().map(|p| Value::Text(p.to_string())).collect()))
}

/// The matches of a pattern in a string from a start position on (the `start` and
/// `flags` arguments of `regexp_count`, `regexp_instr` and `regexp_substr`).
struct Occurrences<'a> {
    text: &'a str,
    re: Arc<Pattern>,
    /// Byte offset of the start position (past the end: no matches).
    from: Option<usize>,
}

impl<'a> Occurrences<'a> {
    fn new(
        name: &str,
        a: &'a [Value],
        start: Option<&Value>,
        flags: Option<&Value>,
    ) -> Result<Occurrences<'a>> {
        let start = positive("start", start, 1)?;
        let re = compile_once(name, s(&a[1]), flags.map_or("", s))?;
        let text = s(&a[0]);
        let from = match text.char_indices().nth(start - 1) {
            Some((at, _)) => Some(at),
            None if start - 1 == text.chars().count() => Some(text.len()),
            None => None,
        };
        Ok(Occurrences { text, re, from })
    }

    /// The matches from the start position on.
    fn matches(&self) -> impl Iterator<Item = Result<Captures<'a>>> + '_ {
        self.from.into_iter().flat_map(|at| self.re.matches_from(self.text, at))
    }

    /// The byte range of the `n`-th match (1-based), or of its capture group `sub`.
    fn nth(&self, n: usize, sub: usize) -> Result<Option<(usize, usize)>> {
        let Some(caps) = self.matches().nth(n - 1).transpose()? else { return Ok(None) };
        Ok(caps.get(sub).map(|m| (m.start(), m.end())))
    }

    /// The 1-based character position of byte offset `at`.
    fn char_position(&self, at: usize) -> i32 {
        i32::try_from(self.text[..at].chars().count() + 1).unwrap_or(i32::MAX)
    }
}

fn int(v: &Value) -> i64 {
    crate::functions::string::i(v)
}

/// 22023 `invalid value for parameter "name": v`.
fn bad_parameter(name: &str, v: i64) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{name}\": {v}"),
    )
}

/// A 1-based count argument (`start`, `n`), `default` when absent.
fn positive(name: &str, v: Option<&Value>, default: usize) -> Result<usize> {
    match v.map(int) {
        None => Ok(default),
        Some(x) if x >= 1 => usize::try_from(x).map_err(|_| bad_parameter(name, x)),
        Some(x) => Err(bad_parameter(name, x)),
    }
}

/// A capture group number (0: the whole match), 0 when absent.
fn non_negative(name: &str, v: Option<&Value>) -> Result<usize> {
    match v.map(int) {
        None => Ok(0),
        Some(x) if x >= 0 => usize::try_from(x).map_err(|_| bad_parameter(name, x)),
        Some(x) => Err(bad_parameter(name, x)),
    }
}

/// The rows of `regexp_matches(string, pattern [, flags])`: one text array per match
/// (every match with the `g` flag, else the first), holding the capture groups (NULL for
/// a group that did not take part), or the whole match when the pattern has none.
pub(crate) fn regexp_matches_rows(x: &str, pattern: &str, f: &str) -> Result<Vec<Value>> {
    let (re, global) = compile(pattern, f)?;
    let matches = re.matches_from(x, 0).take(if global { usize::MAX } else { 1 });
    matches.map(|caps| caps.map(|caps| groups(&caps))).collect()
}

/// The pieces of `regexp_split_to_table(string, pattern [, flags])`.
pub(crate) fn split_pieces(x: &str, pattern: &str, f: &str) -> Result<Vec<String>> {
    let re = compile_once("regexp_split_to_table", pattern, f)?;
    Ok(re.split(x)?.into_iter().map(str::to_string).collect())
}

/// `substring(x FROM pattern)`: the first parenthesised group's match, or the whole
/// match when the pattern has no group; NULL when nothing matches.
pub(crate) fn substring_regex(a: &[Value], _ctx: &dyn EvalContext) -> Result<Value> {
    let re = compile_are(s(&a[1]), false)?;
    let Some(caps) = re.captures(s(&a[0]))? else { return Ok(Value::Null) };
    let m = if caps.len() > 1 { caps.get(1) } else { caps.get(0) };
    Ok(m.map_or(Value::Null, |m| Value::Text(m.as_str().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_and_match() {
        assert_eq!(
            regexp_replace("foobarbaz", "b(..)", "X\\1Y", "g").ok(),
            Some(Value::Text("fooXarYXazY".into()))
        );
        assert_eq!(regexp_replace("a$b", "\\$", "$", "").ok(), Some(Value::Text("a$b".into())));
        assert_eq!(
            regexp_match("foobarbequebaz", "(bar)(beque)", "").ok(),
            Some(text_array(vec![Value::Text("bar".into()), Value::Text("beque".into())]))
        );
        assert_eq!(regexp_match("abc", "x", "").ok(), Some(Value::Null));
        assert!(flags("z").is_err());
    }
}
