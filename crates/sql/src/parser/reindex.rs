//! `REINDEX` in PostgreSQL's grammar, which sqlparser does not cover:
//!
//! ```text
//! REINDEX [ ( option [, ...] ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
//! ```
//!
//! Options are `CONCURRENTLY [bool]`, `VERBOSE [bool]` and `TABLESPACE name`. Recognised
//! by the front parser ([`super::helios`]) by the first word.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::syntax_error;

/// What a `REINDEX` rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReindexTarget {
    /// One index.
    Index,
    /// Every index of a table (of each partition of a partitioned table).
    Table,
    /// Every index of the tables of a schema.
    Schema,
    /// Every index of the database.
    Database,
    /// The system catalogs' indexes.
    System,
}

impl ReindexTarget {
    /// The statement's name in messages (`REINDEX SCHEMA cannot run inside ...`).
    pub fn statement(self) -> &'static str {
        match self {
            ReindexTarget::Index => "REINDEX INDEX",
            ReindexTarget::Table => "REINDEX TABLE",
            ReindexTarget::Schema => "REINDEX SCHEMA",
            ReindexTarget::Database => "REINDEX DATABASE",
            ReindexTarget::System => "REINDEX SYSTEM",
        }
    }
}

/// A `REINDEX` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reindex {
    /// What is rebuilt.
    pub target: ReindexTarget,
    /// The index, table, schema or database name.
    pub name: ast::ObjectName,
    /// `CONCURRENTLY`.
    pub concurrently: bool,
    /// `VERBOSE`: an INFO message per rebuilt index.
    pub verbose: bool,
    /// `TABLESPACE name`.
    pub tablespace: Option<String>,
}

fn word_of(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// A boolean option's value: none (true), `true`/`false`/`on`/`off`/`1`/`0`.
fn flag(p: &mut Parser<'_>) -> std::result::Result<bool, ParserError> {
    let t = p.peek_token_ref().token.clone();
    let v = match &t {
        Token::Comma | Token::RParen => return Ok(true),
        Token::Number(n, _) if n == "1" => true,
        Token::Number(n, _) if n == "0" => false,
        Token::Word(_) => match word_of(&t).as_deref() {
            Some("true" | "on") => true,
            Some("false" | "off") => false,
            _ => return Err(ParserError::ParserError(format!("Expected: a boolean, found: {t}"))),
        },
        _ => return Err(ParserError::ParserError(format!("Expected: a boolean, found: {t}"))),
    };
    p.advance_token();
    Ok(v)
}

/// Parses what follows the word `REINDEX`.
pub fn parse_reindex(p: &mut Parser<'_>) -> Result<Reindex> {
    let (mut concurrently, mut verbose, mut tablespace) = (false, false, None);
    if p.consume_token(&Token::LParen) {
        loop {
            let t = p.next_token();
            match word_of(&t.token).as_deref() {
                Some("concurrently") => concurrently = flag(p).map_err(syntax_error)?,
                Some("verbose") => verbose = flag(p).map_err(syntax_error)?,
                Some("tablespace") => {
                    tablespace = Some(p.parse_identifier().map_err(syntax_error)?.value);
                }
                Some(other) => {
                    let e = Error::new(
                        SqlState::SYNTAX_ERROR,
                        format!("unrecognized REINDEX option \"{other}\""),
                    );
                    let at = t.span.start;
                    return Err(e.with_anchor(at.line, at.column, other));
                }
                None => {
                    return Err(syntax_error(ParserError::ParserError(format!(
                        "Expected: an option name, found: {} at Line: {}, Column: {}",
                        t.token, t.span.start.line, t.span.start.column
                    ))))
                }
            }
            if !p.consume_token(&Token::Comma) {
                p.expect_token(&Token::RParen).map_err(syntax_error)?;
                break;
            }
        }
    }
    let t = p.next_token();
    let target = match word_of(&t.token).as_deref() {
        Some("index") => ReindexTarget::Index,
        Some("table") => ReindexTarget::Table,
        Some("schema") => ReindexTarget::Schema,
        Some("database") => ReindexTarget::Database,
        Some("system") => ReindexTarget::System,
        _ => {
            return Err(syntax_error(ParserError::ParserError(format!(
            "Expected: INDEX, TABLE, SCHEMA, DATABASE or SYSTEM, found: {} at Line: {}, Column: {}",
            t.token, t.span.start.line, t.span.start.column
        ))))
        }
    };
    if word_of(&p.peek_token_ref().token).as_deref() == Some("concurrently") {
        p.advance_token();
        concurrently = true;
    }
    let name = p.parse_object_name(false).map_err(syntax_error)?;
    Ok(Reindex { target, name, concurrently, verbose, tablespace })
}
