//! Retrying a batch that sqlparser refused with some statements rewritten at the token
//! level (`ctas_columns`, `matview_data`): the batch is split at `;` and each statement
//! is either rewritten or copied as written.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

/// One statement's tokens seen without whitespace: `sig[n]` is the index of the n-th
/// significant token.
pub(super) struct Significant<'t> {
    pub tokens: &'t [Token],
    pub sig: Vec<usize>,
}

impl<'t> Significant<'t> {
    pub fn new(tokens: &'t [Token]) -> Significant<'t> {
        let sig =
            (0..tokens.len()).filter(|&i| !matches!(tokens[i], Token::Whitespace(_))).collect();
        Significant { tokens, sig }
    }

    /// The keyword of the n-th significant token, when it is an unquoted word.
    pub fn word(&self, n: usize) -> Option<Keyword> {
        match self.sig.get(n).map(|&i| &self.tokens[i]) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.keyword),
            _ => None,
        }
    }

    /// The n-th significant token as an identifier, folded as PostgreSQL folds one
    /// (quoted: as written; unquoted: lower case); `None` for any other token.
    pub fn ident(&self, n: usize) -> Option<String> {
        match self.sig.get(n).map(|&i| &self.tokens[i]) {
            Some(Token::Word(w)) if w.quote_style == Some('"') => Some(w.value.clone()),
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
            _ => None,
        }
    }
}

/// The statement's first `cut` significant tokens with `options` (a `WITH (...)` list)
/// put before the first top-level `AS` at or after significant token `from` (CREATE
/// VIEW / MATERIALIZED VIEW: the options go between the name and the query); `None`
/// when there is no such `AS` or the statement already has a top-level `WITH` there.
pub(super) fn options_before_as(
    s: &Significant<'_>,
    from: usize,
    cut: usize,
    options: &str,
) -> Option<String> {
    let mut depth = 0i32;
    let mut as_at = None;
    for (pos, &i) in s.sig.iter().enumerate().take(cut).skip(from) {
        match &s.tokens[i] {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ if depth == 0 && s.word(pos) == Some(Keyword::WITH) => return None,
            _ if depth == 0 && s.word(pos) == Some(Keyword::AS) => {
                as_at = Some(pos);
                break;
            }
            _ => {}
        }
    }
    let as_token = s.sig[as_at?];
    let end = s.sig.get(cut).copied().unwrap_or(s.tokens.len());
    let mut out = String::new();
    for (i, t) in s.tokens[..end].iter().enumerate() {
        if i == as_token {
            out.push_str(options);
        }
        out.push_str(&t.to_string());
    }
    Some(out)
}

/// The batch with every statement that `rewrite` changes replaced by its new text;
/// `None` when it changes none (or the text does not tokenize).
pub(super) fn rewrite_statements(
    sql: &str,
    rewrite: impl Fn(&[Token]) -> Option<String>,
) -> Option<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut out = String::with_capacity(sql.len() + 64);
    let mut changed = false;
    let mut start = 0;
    while start < tokens.len() {
        let end = tokens[start..]
            .iter()
            .position(|t| *t == Token::SemiColon)
            .map_or(tokens.len(), |p| start + p);
        let stmt = &tokens[start..end];
        match rewrite(stmt) {
            Some(text) => {
                changed = true;
                out.push_str(&text);
            }
            None => stmt.iter().for_each(|t| out.push_str(&t.to_string())),
        }
        if end < tokens.len() {
            out.push(';');
        }
        start = end + 1;
    }
    changed.then_some(out)
}
