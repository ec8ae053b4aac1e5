//! The `jsonpath` tokenizer.
//!
//! Splits the input into tokens the way PostgreSQL's scanner does: numbers
//! (`integer`, `decimal`, `real`, with "trailing junk" errors when a letter follows),
//! quoted strings and unquoted identifiers with the same backslash escapes
//! (`\n`, `\x41`, `\u0041`, `\u{41}`, surrogate pairs), variables (`$name`,
//! `$"name"`), operators and `/* comments */`. A malformed token becomes
//! [`Tok::Error`]; the parser reports it only when it reaches it, as PostgreSQL does.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use helios_common::SqlState;

use crate::error::TypeError;

/// One token.
#[derive(Clone, Debug)]
pub(super) enum Tok {
    /// Operators and punctuation.
    Punct(&'static str),
    /// An unquoted identifier (key names and keywords), escapes applied.
    Ident(String),
    /// A double-quoted string, escapes applied.
    Str(String),
    /// `$name` or `$"name"`.
    Var(String),
    /// An integer literal.
    Int(BigDecimal),
    /// A decimal or exponent literal.
    Num(BigDecimal),
    /// A token that failed to scan.
    Error(TypeError),
}

/// A token with the text it was scanned from (for "at or near" messages).
#[derive(Clone, Debug)]
pub(super) struct Token {
    /// The token.
    pub tok: Tok,
    /// Its source text.
    pub text: String,
}

const PUNCT: [&str; 26] = [
    "**", "==", "!=", "<>", "<=", ">=", "&&", "||", "(", ")", "[", "]", "{", "}", ".", ",", "?",
    "@", "*", "+", "-", "/", "%", "<", ">", "!",
];

/// Whether `c` may appear in an unquoted identifier (PostgreSQL's `other` class).
fn is_other(c: char) -> bool {
    !matches!(
        c,
        '?' | '%'
            | '$'
            | '.'
            | '['
            | ']'
            | '{'
            | '}'
            | '('
            | ')'
            | '|'
            | '&'
            | '!'
            | '='
            | '<'
            | '>'
            | '@'
            | '#'
            | ','
            | '*'
            | ':'
            | '-'
            | '+'
            | '/'
            | '\\'
            | '"'
            | ' '
            | '\t'
            | '\n'
            | '\r'
            | '\x0c'
    )
}

fn syntax(message: &str, near: &str) -> TypeError {
    TypeError::other(
        SqlState::SYNTAX_ERROR,
        format!("{message} at or near \"{near}\" of jsonpath input"),
    )
}

fn syntax_at_end(message: &str) -> TypeError {
    TypeError::other(SqlState::SYNTAX_ERROR, format!("{message} at end of jsonpath input"))
}

fn surrogate(detail: &str) -> TypeError {
    TypeError::other(SqlState::SYNTAX_ERROR, "invalid input syntax for type jsonpath")
        .with_detail(detail)
}

/// Splits `input` into tokens (never fails: bad tokens are [`Tok::Error`]; scanning
/// stops after the first one).
pub(super) fn tokenize(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            match (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
            {
                Some(j) => {
                    i = j + 2;
                    continue;
                }
                None => {
                    out.push(Token {
                        tok: Tok::Error(syntax_at_end("unexpected end of comment")),
                        text: String::new(),
                    });
                    return out;
                }
            }
        }
        let start = i;
        let (tok, next) = if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            number(&chars, i)
        } else if c == '"' {
            match quoted(&chars, i + 1) {
                Ok((s, next)) => (Tok::Str(s), next),
                Err((e, next)) => (Tok::Error(e), next),
            }
        } else if c == '$' {
            if chars.get(i + 1) == Some(&'"') {
                match quoted(&chars, i + 2) {
                    Ok((s, next)) => (Tok::Var(s), next),
                    Err((e, next)) => (Tok::Error(e), next),
                }
            } else if chars.get(i + 1).is_some_and(|&c| is_other(c) || c == '\\') {
                match unquoted(&chars, i + 1) {
                    Ok((s, next)) => (Tok::Var(s), next),
                    Err((e, next)) => (Tok::Error(e), next),
                }
            } else {
                (Tok::Punct("$"), i + 1)
            }
        } else if is_other(c) || c == '\\' {
            match unquoted(&chars, i) {
                Ok((s, next)) => (Tok::Ident(s), next),
                Err((e, next)) => (Tok::Error(e), next),
            }
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            match PUNCT.iter().find(|p| rest.starts_with(**p)) {
                Some(p) => (Tok::Punct(if *p == "<>" { "!=" } else { p }), i + p.len()),
                None => (Tok::Error(syntax("syntax error", &c.to_string())), i + 1),
            }
        };
        let is_error = matches!(tok, Tok::Error(_));
        out.push(Token { tok, text: chars[start..next.min(chars.len())].iter().collect() });
        if is_error {
            return out;
        }
        i = next;
    }
    out
}

/// Scans a number starting at `i`: `integer`, `decimal` (`1.`, `.5`, `1.5`) or `real`
/// (with an exponent). A letter right after it is "trailing junk".
fn number(chars: &[char], start: usize) -> (Tok, usize) {
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let int_end = i;
    let mut is_int = true;
    if chars.get(i) == Some(&'.') {
        is_int = false;
        i = digits(i + 1);
    }
    let text_of = |end: usize| chars[start..end].iter().collect::<String>();
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        let signed = matches!(chars.get(j), Some('+' | '-'));
        if signed {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            is_int = false;
            i = digits(j);
        } else if signed {
            return (Tok::Error(syntax("invalid numeric literal", &text_of(j))), j);
        }
    }
    // An integer with a leading zero and more digits is "0" followed by junk.
    if is_int && chars[start] == '0' && int_end > start + 1 {
        return (
            Tok::Error(syntax("trailing junk after numeric literal", &text_of(start + 2))),
            start + 2,
        );
    }
    if chars.get(i).is_some_and(|&c| is_other(c)) {
        return (Tok::Error(syntax("trailing junk after numeric literal", &text_of(i + 1))), i + 1);
    }
    let text = text_of(i);
    let mut normal = text.replace(".e", "e").replace(".E", "E");
    if normal.ends_with('.') {
        normal.pop();
    }
    if normal.starts_with('.') {
        normal.insert(0, '0');
    }
    match BigDecimal::from_str(&normal) {
        Ok(v) if is_int => (Tok::Int(v), i),
        Ok(v) => (Tok::Num(v), i),
        Err(_) => (Tok::Error(syntax("invalid numeric literal", &text)), i),
    }
}

type Scan = Result<(String, usize), (TypeError, usize)>;

/// Scans a double-quoted string whose body starts at `i`.
fn quoted(chars: &[char], mut i: usize) -> Scan {
    let mut out = Escapes::default();
    loop {
        match chars.get(i) {
            None => {
                return Err((syntax_at_end("unexpected end of quoted string"), chars.len()));
            }
            Some('"') => return out.finish().map(|s| (s, i + 1)).map_err(|e| (e, i + 1)),
            Some('\\') => i = out.escape(chars, i)?,
            Some(&c) => {
                out.push(c).map_err(|e| (e, i))?;
                i += 1;
            }
        }
    }
}

/// Scans an unquoted identifier starting at `i`.
fn unquoted(chars: &[char], mut i: usize) -> Scan {
    let mut out = Escapes::default();
    while let Some(&c) = chars.get(i) {
        if c == '\\' {
            i = out.escape(chars, i)?;
        } else if is_other(c) {
            out.push(c).map_err(|e| (e, i))?;
            i += 1;
        } else {
            break;
        }
    }
    out.finish().map(|s| (s, i)).map_err(|e| (e, i))
}

/// Builds a string through escapes, pairing UTF-16 surrogates.
#[derive(Default)]
struct Escapes {
    out: String,
    high: Option<u32>,
}

impl Escapes {
    fn push(&mut self, c: char) -> Result<(), TypeError> {
        if self.high.is_some() {
            return Err(surrogate("Unicode low surrogate must follow a high surrogate."));
        }
        self.out.push(c);
        Ok(())
    }

    fn code_point(&mut self, cp: u32) -> Result<(), TypeError> {
        if (0xD800..0xDC00).contains(&cp) {
            if self.high.is_some() {
                return Err(surrogate("Unicode high surrogate must not follow a high surrogate."));
            }
            self.high = Some(cp);
            return Ok(());
        }
        if (0xDC00..0xE000).contains(&cp) {
            let Some(high) = self.high.take() else {
                return Err(surrogate("Unicode low surrogate must follow a high surrogate."));
            };
            let full = 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00);
            self.out.push(char::from_u32(full).unwrap_or('\u{FFFD}'));
            return Ok(());
        }
        if cp == 0 {
            return Err(TypeError::other(
                SqlState::UNTRANSLATABLE_CHARACTER,
                "unsupported Unicode escape sequence",
            )
            .with_detail("\\u0000 cannot be converted to text."));
        }
        match char::from_u32(cp) {
            Some(c) => self.push(c),
            None => Err(TypeError::other(SqlState::SYNTAX_ERROR, "invalid Unicode code point")),
        }
    }

    /// Applies the escape at `chars[i] == '\\'`; returns the index after it.
    fn escape(&mut self, chars: &[char], i: usize) -> Result<usize, (TypeError, usize)> {
        let text = |end: usize| chars[i..end.min(chars.len())].iter().collect::<String>();
        let hex_run = |from: usize, max: usize| {
            let mut j = from;
            while j < chars.len() && j - from < max && chars[j].is_ascii_hexdigit() {
                j += 1;
            }
            j
        };
        let hex_value = |from: usize, to: usize| {
            u32::from_str_radix(&chars[from..to].iter().collect::<String>(), 16).unwrap_or(0)
        };
        let Some(&c) = chars.get(i + 1) else {
            return Err((syntax_at_end("unexpected end after backslash"), chars.len()));
        };
        let simple = match c {
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            'x' | 'u' => None,
            other => Some(other),
        };
        if let Some(ch) = simple {
            self.push(ch).map_err(|e| (e, i + 2))?;
            return Ok(i + 2);
        }
        if c == 'x' {
            let end = hex_run(i + 2, 2);
            if end - (i + 2) < 2 {
                return Err((syntax("invalid hex character sequence", &text(end)), end));
            }
            self.code_point(hex_value(i + 2, end)).map_err(|e| (e, end))?;
            return Ok(end);
        }
        if chars.get(i + 2) == Some(&'{') {
            let end = hex_run(i + 3, 6);
            if end == i + 3 || chars.get(end) != Some(&'}') {
                return Err((syntax("invalid unicode sequence", &text(end)), end));
            }
            self.code_point(hex_value(i + 3, end)).map_err(|e| (e, end + 1))?;
            return Ok(end + 1);
        }
        let end = hex_run(i + 2, 4);
        if end - (i + 2) < 4 {
            return Err((syntax("invalid unicode sequence", &text(end)), end));
        }
        self.code_point(hex_value(i + 2, end)).map_err(|e| (e, end))?;
        Ok(end)
    }

    fn finish(self) -> Result<String, TypeError> {
        if self.high.is_some() {
            return Err(surrogate("Unicode low surrogate must follow a high surrogate."));
        }
        Ok(self.out)
    }
}
