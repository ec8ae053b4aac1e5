//! Regular-expression functions: `regexp_replace`, `regexp_match`, `regexp_like`,
//! `regexp_split_to_array` and `substring(text FROM pattern)`.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Value};

use crate::expr::pattern::compile_are;
use crate::expr::EvalContext;
use crate::functions::registry::{p, Registry, ReturnType};
use crate::functions::string::s;

/// Registers the regular-expression functions.
pub(crate) fn register(r: &mut Registry) {
    use DataType::{Bool, Text};
    let arr = || ReturnType::Exact(DataType::Array(Box::new(Text)));
    r.add("regexp_replace", vec![p(Text), p(Text), p(Text)], ReturnType::Exact(Text), |a, _| {
        regexp_replace(s(&a[0]), s(&a[1]), s(&a[2]), "")
    });
    r.add(
        "regexp_replace",
        vec![p(Text), p(Text), p(Text), p(Text)],
        ReturnType::Exact(Text),
        |a, _| regexp_replace(s(&a[0]), s(&a[1]), s(&a[2]), s(&a[3])),
    );
    r.add("regexp_match", vec![p(Text), p(Text)], arr(), |a, _| {
        regexp_match(s(&a[0]), s(&a[1]), "")
    });
    r.add("regexp_match", vec![p(Text), p(Text), p(Text)], arr(), |a, _| {
        regexp_match(s(&a[0]), s(&a[1]), s(&a[2]))
    });
    r.add("regexp_like", vec![p(Text), p(Text)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(compile(s(&a[1]), "")?.0.is_match(s(&a[0]))))
    });
    r.add("regexp_like", vec![p(Text), p(Text), p(Text)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(compile(s(&a[1]), s(&a[2]))?.0.is_match(s(&a[0]))))
    });
    r.add("regexp_split_to_array", vec![p(Text), p(Text)], arr(), |a, _| {
        split(s(&a[0]), s(&a[1]), "")
    });
    r.add("regexp_split_to_array", vec![p(Text), p(Text), p(Text)], arr(), |a, _| {
        split(s(&a[0]), s(&a[1]), s(&a[2]))
    });
}

/// Parses PostgreSQL regex flags; returns (case-insensitive, global).
fn flags(f: &str) -> Result<(bool, bool)> {
    let (mut ci, mut global) = (false, false);
    for c in f.chars() {
        match c {
            'i' => ci = true,
            'c' => ci = false,
            'g' => global = true,
            'n' | 'p' | 'w' | 's' | 't' => {}
            other => {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid regular expression option: \"{other}\""),
                ))
            }
        }
    }
    Ok((ci, global))
}

fn compile(pattern: &str, f: &str) -> Result<(Arc<regex::Regex>, bool)> {
    let (ci, global) = flags(f)?;
    Ok((compile_are(pattern, ci)?, global))
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
    let (re, global) = compile(pattern, f)?;
    let rep = replacement(rep);
    let out = if global { re.replace_all(x, rep.as_str()) } else { re.replace(x, rep.as_str()) };
    Ok(Value::Text(out.into_owned()))
}

fn text_array(elements: Vec<Value>) -> Value {
    Value::Array(Arc::new(Array { element_type: DataType::Text, elements }))
}

fn regexp_match(x: &str, pattern: &str, f: &str) -> Result<Value> {
    let (re, global) = compile(pattern, f)?;
    if global {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            "regexp_match() does not support the \"global\" option",
        )
        .with_hint("Use the regexp_matches function instead."));
    }
    let Some(caps) = re.captures(x) else { return Ok(Value::Null) };
    let elems: Vec<Value> = if caps.len() == 1 {
        vec![Value::Text(caps[0].to_string())]
    } else {
        (1..caps.len())
            .map(|k| caps.get(k).map_or(Value::Null, |m| Value::Text(m.as_str().to_string())))
            .collect()
    };
    Ok(text_array(elems))
}

fn split(x: &str, pattern: &str, f: &str) -> Result<Value> {
    let (re, _) = compile(pattern, f)?;
    Ok(text_array(re.split(x).map(|p| Value::Text(p.to_string())).collect()))
}

/// `substring(x FROM pattern)`: the first parenthesised group's match, or the whole
/// match when the pattern has no group; NULL when nothing matches.
pub(crate) fn substring_regex(a: &[Value], _ctx: &dyn EvalContext) -> Result<Value> {
    let re = compile_are(s(&a[1]), false)?;
    let Some(caps) = re.captures(s(&a[0])) else { return Ok(Value::Null) };
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
