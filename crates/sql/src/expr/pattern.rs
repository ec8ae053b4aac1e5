//! Pattern matching: LIKE/ILIKE, SIMILAR TO and POSIX regular expressions (`~`).
//!
//! LIKE is matched directly (no regex). SIMILAR TO and PostgreSQL's regular expressions
//! (ARE flavour) are translated to the syntax of `fancy-regex`, which runs patterns with
//! back-references or look-around constraints on a backtracking matcher and hands every
//! other pattern (and every part of one without them) to the `regex` crate's automata.
//! The common subset of the syntaxes is the same; `\m`, `\M`, `\y`, `\Y`, `\Z`, `\b`,
//! `\B` are mapped; parentheses inside a look-around constraint do not capture, as in
//! PostgreSQL. Compiled expressions are cached per thread.
//!
//! Matching differs from PostgreSQL's engine in one way: alternatives and quantifiers
//! prefer as Perl's do (the first alternative that matches, greedy unless `?`), where
//! PostgreSQL's prefers the longest match for the whole expression unless its first
//! quantifier is non-greedy (`substring('ab' from 'a|ab')` is `a` here, `ab` there).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};

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
    cached(&re, false, true)?.is_match(s)
}

/// `s ~ pattern` (or `~*` when `case_insensitive`): unanchored search.
pub fn regex_is_match(s: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    compile_are(pattern, case_insensitive)?.is_match(s)
}

/// Compiles a PostgreSQL ARE pattern (cached).
pub fn compile_are(pattern: &str, case_insensitive: bool) -> Result<Arc<Pattern>> {
    cached(pattern, case_insensitive, false)
}

fn cached(pattern: &str, case_insensitive: bool, translated: bool) -> Result<Arc<Pattern>> {
    let source = if translated { Source::Regex } else { Source::Are };
    compile_regex(pattern, RegexOptions { source, ..RegexOptions::are(case_insensitive) })
}

/// The groups of one match.
pub type Captures<'t> = fancy_regex::Captures<'t, str>;

/// A compiled regular expression. Matching can fail (2201B) when a pattern with
/// back-references backtracks too long.
#[derive(Debug)]
pub struct Pattern(fancy_regex::Regex);

impl Pattern {
    /// Whether the pattern matches anywhere in `s`.
    pub fn is_match(&self, s: &str) -> Result<bool> {
        self.0.is_match(s).map_err(failed)
    }

    /// The first match starting at or after byte offset `at`; what lies before `at` still
    /// counts for `^`, word boundaries and look-behind.
    pub fn captures_at<'t>(&self, s: &'t str, at: usize) -> Result<Option<Captures<'t>>> {
        self.0.captures_from_pos(s, at).map_err(failed)
    }

    /// The first match in `s`.
    pub fn captures<'t>(&self, s: &'t str) -> Result<Option<Captures<'t>>> {
        self.captures_at(s, 0)
    }

    /// Every match from byte offset `at` on, as PostgreSQL finds them: the next search
    /// starts where a match ended, one character further after an empty match (so an
    /// empty match may follow a non-empty one at its end).
    pub fn matches_from<'p, 't>(&'p self, s: &'t str, at: usize) -> Matches<'p, 't> {
        Matches { pattern: self, text: s, at: Some(at) }
    }

    /// The pieces of `s` between the matches, as `regexp_split_to_table` cuts it: empty
    /// matches at the start or the end of `s`, or right after the previous match, do not
    /// cut.
    pub fn split<'t>(&self, s: &'t str) -> Result<Vec<&'t str>> {
        let (mut pieces, mut piece_start) = (Vec::new(), 0);
        for caps in self.matches_from(s, 0) {
            let whole = caps?.get(0).map(|m| m.range()).unwrap_or_default();
            if whole.start < s.len() && whole.end > piece_start {
                pieces.push(&s[piece_start..whole.start]);
                piece_start = whole.end;
            }
        }
        pieces.push(&s[piece_start..]);
        Ok(pieces)
    }
}

/// The iterator of [`Pattern::matches_from`].
#[derive(Debug)]
pub struct Matches<'p, 't> {
    pattern: &'p Pattern,
    text: &'t str,
    /// Where the next search starts; `None` once done.
    at: Option<usize>,
}

impl<'t> Iterator for Matches<'_, 't> {
    type Item = Result<Captures<'t>>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at.take()?;
        let caps = match self.pattern.captures_at(self.text, at) {
            Ok(Some(caps)) => caps,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let whole = caps.get(0).map(|m| m.range()).unwrap_or(at..at);
        self.at = if whole.end > whole.start {
            Some(whole.end)
        } else {
            self.text[whole.end..].chars().next().map(|c| whole.end + c.len_utf8())
        };
        Some(Ok(caps))
    }
}

/// What kind of text a pattern is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    /// A PostgreSQL ARE (translated first).
    #[default]
    Are,
    /// Already in the matcher's syntax.
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

/// Backtracking steps one match may take before it fails (2201B) instead of running
/// for minutes on a pathological pattern with back-references.
const BACKTRACK_LIMIT: usize = 10_000_000;

/// Compiles a pattern, cached per thread (at most 257 patterns; the cache empties when
/// full). Invalid patterns fail with 2201B.
pub(crate) fn compile_regex(pattern: &str, options: RegexOptions) -> Result<Arc<Pattern>> {
    thread_local! {
        static CACHE: RefCell<HashMap<(String, RegexOptions), Arc<Pattern>>> =
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
    let re = fancy_regex::RegexBuilder::new(&source)
        .case_insensitive(options.case_insensitive)
        .dot_matches_new_line(options.dot_all)
        .multi_line(options.multi_line)
        .ignore_whitespace(options.expanded)
        .delegate_size_limit(10 << 20)
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map_err(|e| invalid(&e.to_string()))?;
    let re = Arc::new(Pattern(re));
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 256 {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

/// 2201B `invalid regular expression: ...`, from the last line of a matcher's message.
fn invalid(message: &str) -> Error {
    let line = message.lines().last().unwrap_or(message).trim().trim_start_matches("error: ");
    Error::new(SqlState::INVALID_REGULAR_EXPRESSION, format!("invalid regular expression: {line}"))
}

/// 2201B for a match that could not finish, PostgreSQL's "regular expression failed".
fn failed(e: fancy_regex::Error) -> Error {
    Error::new(SqlState::INVALID_REGULAR_EXPRESSION, format!("regular expression failed: {e}"))
}

/// An open parenthesis of an ARE being translated.
#[derive(Clone, Copy)]
enum Paren {
    /// Capturing group `n` (1-based).
    Capture(usize),
    /// A look-around constraint: `(?=`, `(?!`, `(?<=`, `(?<!`.
    Look,
    /// Any other group.
    Other,
}

/// Translates the PostgreSQL-specific parts of an ARE to `fancy-regex` syntax, and checks
/// back-references as PostgreSQL does: one may only name a group closed before it, and
/// none may stand in a look-around constraint (2201B "invalid backreference number").
pub(crate) fn translate_are(p: &str) -> Result<String> {
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    let mut parens: Vec<Paren> = Vec::new();
    // Capturing groups opened so far, and which of them are closed.
    let mut opened = 0usize;
    let mut closed: Vec<bool> = vec![false];
    while let Some(c) = chars.next() {
        if c == '\\' {
            let Some(n) = chars.next() else {
                return Err(invalid("invalid escape \\ sequence"));
            };
            match n {
                'm' if !in_class => out.push_str("\\b{start}"),
                'M' if !in_class => out.push_str("\\b{end}"),
                'y' if !in_class => out.push_str("\\b"),
                'Y' if !in_class => out.push_str("\\B"),
                'Z' if !in_class => out.push_str("\\z"),
                // In an ARE `\b` is a backspace and `\B` a backslash.
                'b' => out.push_str("\\x08"),
                'B' => out.push_str("\\\\"),
                'e' => out.push_str("\\x1b"),
                // `\xhhh`: any number of hex digits.
                'x' => {
                    let mut hex = String::new();
                    while let Some(d) = chars.next_if(char::is_ascii_hexdigit) {
                        hex.push(d);
                    }
                    push_code(&mut out, u32::from_str_radix(&hex, 16).ok())?;
                }
                // `\cX`: the control character of X.
                'c' => push_code(&mut out, chars.next().map(|x| u32::from(x) & 0x1f))?,
                '0' => {
                    let mut digits = String::from('0');
                    while digits.len() < 3 {
                        let Some(d) = chars.next_if(|d| ('0'..='7').contains(d)) else { break };
                        digits.push(d);
                    }
                    push_octal(&mut out, &digits)?;
                }
                '1'..='9' if !in_class => {
                    let mut digits = String::from(n);
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        digits.push(d);
                    }
                    let number: usize = digits.parse().unwrap_or(usize::MAX);
                    // PostgreSQL's rule: one digit, or a number no greater than the
                    // groups opened so far, is a back-reference; else an octal escape.
                    if digits.len() == 1 || number <= opened {
                        let looking = parens.iter().any(|p| matches!(p, Paren::Look));
                        if looking || !closed.get(number).copied().unwrap_or(false) {
                            return Err(invalid("invalid backreference number"));
                        }
                        out.push_str(&format!("(?:\\{number})"));
                    } else {
                        push_octal(&mut out, &digits)?;
                    }
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
            '(' if !in_class => {
                out.push('(');
                let rest = chars.clone().take(3).collect::<String>();
                let paren = if ["?=", "?!", "?<=", "?<!"].iter().any(|l| rest.starts_with(*l)) {
                    Paren::Look
                } else if rest.starts_with('?') {
                    Paren::Other
                } else if parens.iter().any(|p| matches!(p, Paren::Look)) {
                    // Parentheses in a look-around constraint do not capture.
                    out.push_str("?:");
                    Paren::Other
                } else {
                    opened += 1;
                    closed.push(false);
                    Paren::Capture(opened)
                };
                parens.push(paren);
            }
            ')' if !in_class => {
                match parens.pop() {
                    None => return Err(invalid("parentheses () not balanced")),
                    Some(Paren::Capture(n)) => closed[n] = true,
                    Some(_) => {}
                }
                out.push(')');
            }
            // A bound; a `{` not followed by a digit is a literal.
            '{' if !in_class && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('{');
                check_bounds(chars.clone())?;
            }
            '{' if !in_class => out.push_str("\\{"),
            _ => out.push(c),
        }
    }
    if !parens.is_empty() {
        return Err(invalid("parentheses () not balanced"));
    }
    Ok(out)
}

/// Checks the bounds of a `{m}`, `{m,}` or `{m,n}` quantifier (the text after its `{`):
/// PostgreSQL allows at most 255 and needs `m <= n`.
fn check_bounds(rest: impl Iterator<Item = char>) -> Result<()> {
    let mut inside = String::new();
    let mut closed = false;
    for c in rest {
        if c == '}' {
            closed = true;
            break;
        }
        if !(c.is_ascii_digit() || c == ',') {
            break;
        }
        inside.push(c);
    }
    if !closed || inside.matches(',').count() > 1 {
        return Err(invalid("braces {} not balanced"));
    }
    let bound = |s: &str| s.parse::<u32>().ok().filter(|&b| b <= 255);
    let ok = match inside.split_once(',') {
        None => bound(&inside).is_some(),
        Some((m, "")) => bound(m).is_some(),
        Some((m, n)) => bound(m).zip(bound(n)).is_some_and(|(m, n)| m <= n),
    };
    if ok {
        Ok(())
    } else {
        Err(invalid("invalid repetition count(s)"))
    }
}

/// An ARE's octal escape `\ddd` (up to three octal digits; further digits are literals).
fn push_octal(out: &mut String, digits: &str) -> Result<()> {
    let octal: String = digits.chars().take(3).take_while(|d| ('0'..='7').contains(d)).collect();
    push_code(out, u32::from_str_radix(&octal, 8).ok())?;
    out.push_str(&digits[octal.len()..]);
    Ok(())
}

/// The character with code `code` as an escape (2201B when there is none).
fn push_code(out: &mut String, code: Option<u32>) -> Result<()> {
    let c = code.and_then(char::from_u32).ok_or_else(|| invalid("invalid escape \\ sequence"))?;
    out.push_str(&format!("\\x{{{:x}}}", u32::from(c)));
    Ok(())
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

    fn whole_matches(s: &str, pattern: &str) -> Vec<String> {
        let re = compile_are(pattern, false).unwrap();
        let found = re.matches_from(s, 0).map(|c| c.map(|c| c[0].to_string()));
        found.collect::<Result<_>>().unwrap()
    }

    #[test]
    fn back_references_and_look_around() {
        let is = |s, p| regex_is_match(s, p, false).unwrap();
        assert!(is("bbbbb", "^([bc])\\1*$"));
        assert!(!is("bbc", "^([bc])\\1*$"));
        assert!(is("abc abc abc", "^(\\w+)( \\1)+$"));
        assert!(!is("abc abd abc", "^(\\w+)( \\1)+$"));
        assert!(is("ab", "a(?=b)"));
        assert!(!is("ab", "a(?!b)"));
        assert!(is("foobar", "(?<=foo)bar"));
        assert!(!is("foobar", "(?<!foo)bar"));
        // Parentheses in a constraint do not capture, so `\1` is the group after it.
        assert_eq!(translate_are("(?=(a))(b)\\1").ok().as_deref(), Some("(?=(?:a))(b)(?:\\1)"));
        for bad in ["x(\\w)(?=\\1)", "x(\\w)(?=(\\1))", "(a\\1)", "(a)\\2", "\\1(a)"] {
            let e = regex_is_match("xyz", bad, false).unwrap_err();
            assert_eq!(e.sqlstate(), SqlState::INVALID_REGULAR_EXPRESSION, "{bad}");
            assert!(e.message().ends_with("invalid backreference number"), "{bad}: {e}");
        }
    }

    #[test]
    fn are_escapes() {
        let is = |s, p| regex_is_match(s, p, false).unwrap();
        assert!(is("foo bar", "\\mbar") && !is("foobar", "\\mbar"));
        assert!(is("foo bar", "foo\\M") && !is("foobar", "foo\\M"));
        assert!(is("A", "^\\x41$") && is("A", "^\\101$") && is("\u{1b}", "\\e"));
        assert!(is("\u{1}", "^\\cA$") && is("\0", "^\\0$"));
        // More digits than groups: an octal escape (`\101` is `A`).
        assert!(is("xA", "(x)\\101"));
        let e = regex_is_match("a", "\\x7fffffff", false).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_REGULAR_EXPRESSION);
    }

    #[test]
    fn bounds_and_parentheses_are_checked_as_postgres_does() {
        let is = |s, p| regex_is_match(s, p, false);
        assert_eq!(is("a{x}", "a{x}").ok(), Some(true));
        assert_eq!(is("a{", "a{").ok(), Some(true));
        assert_eq!(is("a{,2}", "^a{,2}$").ok(), Some(true));
        assert_eq!(is("aa", "^a{1,}$").ok(), Some(true));
        assert_eq!(is("aa", "^a{2,255}$").ok(), Some(true));
        for (bad, message) in [
            ("a{1", "braces {} not balanced"),
            ("a{1,2", "braces {} not balanced"),
            ("a{256}", "invalid repetition count(s)"),
            ("a{2,1}", "invalid repetition count(s)"),
            ("x)", "parentheses () not balanced"),
            ("(x", "parentheses () not balanced"),
        ] {
            let e = is("a", bad).unwrap_err();
            assert_eq!(e.message(), format!("invalid regular expression: {message}"), "{bad}");
        }
    }

    #[test]
    fn matches_and_pieces_follow_postgres() {
        // An empty match may follow a non-empty one where it ended.
        assert_eq!(whole_matches("baaac", "a*"), ["", "aaa", "", ""]);
        assert_eq!(whole_matches("abab", "ab"), ["ab", "ab"]);
        let split = |s, p| compile_are(p, false).unwrap().split(s).unwrap();
        assert_eq!(split("abc", ""), ["a", "b", "c"]);
        assert_eq!(split("a,b,,c", ","), ["a", "b", "", "c"]);
        assert_eq!(split("baaac", "a*"), ["b", "c"]);
        assert_eq!(split("", ","), [""]);
    }
}
