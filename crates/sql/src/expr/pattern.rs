//! Pattern matching: LIKE/ILIKE, SIMILAR TO and POSIX regular expressions (`~`).
//!
//! LIKE is matched directly (no regex). SIMILAR TO and PostgreSQL's regular expressions
//! (ARE flavour) are translated to the `regex` crate's syntax: the common subset is the
//! same; `\m`, `\M`, `\y`, `\Y`, `\Z` are mapped; back-references are not supported
//! (error 0A000). Compiled expressions are cached per thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use regex::Regex;

/// `s LIKE pattern [ESCAPE esc]`; `esc = Some("")` disables escaping.
pub fn like(s: &str, pattern: &str, escape: Option<&str>, case_insensitive: bool) -> Result<bool> {
    let esc = match escape {
        None => Some('\\'),
        Some("") => None,
        Some(e) => {
            let mut it = e.chars();
            let c = it.next();
            if it.next().is_some() {
                return Err(Error::new(SqlState::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
                    .with_hint("Escape string must be empty or one character."));
            }
            c
        }
    };
    let (s, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (s.to_lowercase().chars().collect(), pattern.to_lowercase().chars().collect())
    } else {
        (s.chars().collect(), pattern.chars().collect())
    };
    // Parse the pattern into tokens first so a trailing escape is reported even when
    // the match fails early.
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        if Some(c) == esc {
            let Some(&next) = p.get(i + 1) else {
                return Err(Error::new(
                    SqlState::INVALID_ESCAPE_SEQUENCE,
                    "LIKE pattern must not end with escape character",
                ));
            };
            toks.push(Tok::Lit(next));
            i += 2;
            continue;
        }
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            other => Tok::Lit(other),
        });
        i += 1;
    }
    Ok(match_tokens(&s, &toks))
}

#[derive(Clone, Copy, PartialEq)]
enum Tok {
    Lit(char),
    One,
    Any,
}

/// Greedy wildcard matching with backtracking to the last `%` (linear in practice).
fn match_tokens(s: &[char], p: &[Tok]) -> bool {
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::One) => {
                si += 1;
                pi += 1;
            }
            Some(Tok::Lit(c)) if *c == s[si] => {
                si += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Any)
}

/// `s SIMILAR TO pattern [ESCAPE esc]`.
pub fn similar(s: &str, pattern: &str, escape: Option<&str>) -> Result<bool> {
    let esc = match escape {
        None => Some('\\'),
        Some("") => None,
        Some(e) => e.chars().next(),
    };
    let mut re = String::from("^(?:");
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if Some(c) == esc {
            match chars.next() {
                Some(n) => re.push_str(&regex::escape(&n.to_string())),
                None => {
                    return Err(Error::new(
                        SqlState::INVALID_ESCAPE_SEQUENCE,
                        "SIMILAR TO pattern must not end with escape character",
                    ))
                }
            }
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            re.push(c);
            continue;
        }
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            '[' => {
                in_class = true;
                re.push('[');
            }
            '|' | '*' | '+' | '?' | '(' | ')' | '{' | '}' => re.push(c),
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push_str(")$");
    Ok(cached(&re, false, true)?.is_match(s))
}

/// `s ~ pattern` (or `~*` when `case_insensitive`): unanchored search.
pub fn regex_is_match(s: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    Ok(compile_are(pattern, case_insensitive)?.is_match(s))
}

/// Compiles a PostgreSQL ARE pattern (cached).
pub fn compile_are(pattern: &str, case_insensitive: bool) -> Result<Arc<Regex>> {
    cached(pattern, case_insensitive, false)
}

fn cached(pattern: &str, case_insensitive: bool, translated: bool) -> Result<Arc<Regex>> {
    let source = if translated { Source::Regex } else { Source::Are };
    compile_regex(pattern, RegexOptions { source, ..RegexOptions::are(case_insensitive) })
}

/// What kind of text a pattern is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// A PostgreSQL ARE (translated to `regex` syntax first).
    #[default]
    Are,
    /// Already in `regex` syntax.
    Regex,
    /// A literal string (jsonpath's `q` flag).
    Literal,
}

/// How [`compile_regex`] builds a pattern.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct RegexOptions {
    pub source: Source,
    pub case_insensitive: bool,
    /// `.` matches a newline.
    pub dot_all: bool,
    /// `^` and `$` match at line breaks.
    pub multi_line: bool,
    /// Whitespace and `#` comments in the pattern are ignored (an ARE's `x` flag).
    pub expanded: bool,
}

impl RegexOptions {
    /// A PostgreSQL ARE as `~` and the regexp functions read it without flags: `.`
    /// matches a newline, `^` and `$` only the ends of the string.
    pub(crate) fn are(case_insensitive: bool) -> RegexOptions {
        RegexOptions { case_insensitive, dot_all: true, ..RegexOptions::default() }
    }
}

/// Compiles a pattern, cached per thread (at most 257 patterns; the cache empties when
/// full). Invalid patterns fail with 2201B.
pub(crate) fn compile_regex(pattern: &str, options: RegexOptions) -> Result<Arc<Regex>> {
    thread_local! {
        static CACHE: RefCell<HashMap<(String, RegexOptions), Arc<Regex>>> =
            RefCell::new(HashMap::new());
    }
    let key = (pattern.to_string(), options);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let source = match options.source {
        Source::Are => translate_are(pattern)?,
        Source::Regex => pattern.to_string(),
        Source::Literal => regex::escape(pattern),
    };
    let re = regex::RegexBuilder::new(&source)
        .case_insensitive(options.case_insensitive)
        .dot_matches_new_line(options.dot_all)
        .multi_line(options.multi_line)
        .ignore_whitespace(options.expanded)
        .size_limit(10 << 20)
        .build()
        .map_err(|e| {
            Error::new(
                SqlState::INVALID_REGULAR_EXPRESSION,
                format!("invalid regular expression: {}", first_line(&e.to_string())),
            )
        })?;
    let re = Arc::new(re);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 256 {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().trim_start_matches("error: ").to_string()
}

/// Translates the PostgreSQL-specific escapes of an ARE to `regex` syntax.
pub(crate) fn translate_are(p: &str) -> Result<String> {
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(n) = chars.next() else {
                return Err(Error::new(
                    SqlState::INVALID_REGULAR_EXPRESSION,
                    "invalid regular expression: invalid escape \\ sequence",
                ));
            };
            match n {
                'm' | 'M' | 'y' if !in_class => out.push_str("\\b"),
                'Y' if !in_class => out.push_str("\\B"),
                'Z' if !in_class => out.push_str("\\z"),
                // In an ARE `\b` is a backspace and `\B` a backslash.
                'b' => out.push_str("\\x08"),
                'B' => out.push_str("\\\\"),
                '1'..='9' if !in_class => {
                    return Err(Error::unsupported("back-references in regular expressions"))
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
            continue;
        }
        match c {
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading ']' (or '^]') is a literal in POSIX brackets.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // [:class:] inside a bracket expression.
                out.push('[');
                for k in chars.by_ref() {
                    out.push(k);
                    if k == ']' {
                        break;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_semantics() {
        assert_eq!(like("abc", "a%", None, false).ok(), Some(true));
        assert_eq!(like("abc", "_b_", None, false).ok(), Some(true));
        assert_eq!(like("abc", "%c%d", None, false).ok(), Some(false));
        assert_eq!(like("a%c", "a\\%c", None, false).ok(), Some(true));
        assert_eq!(like("abc", "a\\%c", None, false).ok(), Some(false));
        assert_eq!(like("a_c", "a#_c", Some("#"), false).ok(), Some(true));
        assert_eq!(like("ABC", "a%", None, true).ok(), Some(true));
        assert_eq!(like("mississippi", "%iss%pi", None, false).ok(), Some(true));
        let e = like("abc", "ab\\", None, false).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_ESCAPE_SEQUENCE);
    }

    #[test]
    fn similar_and_regex() {
        assert_eq!(similar("abc", "%(b|d)%", None).ok(), Some(true));
        assert_eq!(similar("abc", "(b|d)%", None).ok(), Some(false));
        assert_eq!(similar("a.c", "a.c", None).ok(), Some(true));
        assert_eq!(similar("abc", "a.c", None).ok(), Some(false));
        assert_eq!(regex_is_match("foo bar", "\\mbar", false).ok(), Some(true));
        assert_eq!(regex_is_match("FOO", "^fo+$", true).ok(), Some(true));
        assert_eq!(regex_is_match("x", "[[:digit:]]", false).ok(), Some(false));
        assert_eq!(regex_is_match("a]", "[]]", false).ok(), Some(true));
        assert_eq!(
            regex_is_match("x", "(", false).unwrap_err().sqlstate(),
            SqlState::INVALID_REGULAR_EXPRESSION
        );
    }
}
