//! `VACUUM` and `ANALYZE` in PostgreSQL's grammar, which sqlparser does not cover:
//!
//! ```text
//! VACUUM [ ( option [, ...] ) ] [ FULL ] [ FREEZE ] [ VERBOSE ] [ ANALYZE ] [ table [ (cols) ] [, ...] ]
//! ANALYZE [ ( option [, ...] ) ] [ VERBOSE ] [ table [ (cols) ] [, ...] ]
//! ```
//!
//! Options in parentheses are `name [value]` (`FULL`, `VERBOSE true`, `ANALYZE`, ...).
//! Recognised by the front parser ([`super::helios`]) by the first word.

use sqlparser::ast;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// A `VACUUM` or `ANALYZE` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maintenance {
    /// `VACUUM` (true) or `ANALYZE` alone (false).
    pub vacuum: bool,
    /// `FULL`.
    pub full: bool,
    /// `ANALYZE` (always true for the `ANALYZE` statement).
    pub analyze: bool,
    /// `VERBOSE`.
    pub verbose: bool,
    /// The named tables (all tables when empty).
    pub tables: Vec<ast::ObjectName>,
}

fn word_of(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
        _ => None,
    }
}

fn flag_value(p: &mut Parser<'_>) -> Result<bool, ParserError> {
    let t = p.peek_token_ref().token.clone();
    let v = match &t {
        Token::Comma | Token::RParen => return Ok(true),
        Token::Number(n, _) => n != "0",
        Token::SingleQuotedString(s) => !matches!(s.to_ascii_lowercase().as_str(), "off" | "false"),
        other => match word_of(other).as_deref() {
            Some("on" | "true") => true,
            Some("off" | "false") => false,
            _ => {
                return Err(ParserError::ParserError(format!(
                    "Expected: a boolean value, found: {t}"
                )))
            }
        },
    };
    p.advance_token();
    Ok(v)
}

/// Parses what follows the `VACUUM` or `ANALYZE` keyword.
pub(super) fn parse_maintenance(
    p: &mut Parser<'_>,
    vacuum: bool,
) -> Result<Maintenance, ParserError> {
    let mut m =
        Maintenance { vacuum, full: false, analyze: !vacuum, verbose: false, tables: Vec::new() };
    if p.consume_token(&Token::LParen) {
        loop {
            let t = p.next_token();
            let name = word_of(&t.token).ok_or_else(|| {
                ParserError::ParserError(format!("Expected: an option name, found: {}", t.token))
            })?;
            let v = flag_value(p)?;
            match name.as_str() {
                "full" => m.full = v,
                "verbose" => m.verbose = v,
                "analyze" | "analyse" => m.analyze |= v,
                "freeze"
                | "skip_locked"
                | "disable_page_skipping"
                | "index_cleanup"
                | "process_toast"
                | "process_main"
                | "truncate"
                | "parallel"
                | "skip_database_stats"
                | "only_database_stats"
                | "buffer_usage_limit" => {}
                other => {
                    let what = if vacuum { "VACUUM" } else { "ANALYZE" };
                    return Err(ParserError::ParserError(format!(
                        "unrecognized {what} option \"{other}\""
                    )));
                }
            }
            if !p.consume_token(&Token::Comma) {
                p.expect_token(&Token::RParen)?;
                break;
            }
        }
    } else {
        loop {
            match word_of(&p.peek_token_ref().token).as_deref() {
                Some("full") if vacuum => m.full = true,
                Some("freeze") if vacuum => {}
                Some("verbose") => m.verbose = true,
                Some("analyze" | "analyse") if vacuum => m.analyze = true,
                _ => break,
            }
            p.advance_token();
        }
    }
    if p.peek_token_ref().token == Token::EOF {
        return Ok(m);
    }
    loop {
        m.tables.push(p.parse_object_name(false)?);
        if p.consume_token(&Token::LParen) {
            // A column list only narrows ANALYZE; statistics are not kept per column.
            p.parse_comma_separated(|p| p.parse_identifier())?;
            p.expect_token(&Token::RParen)?;
        }
        if !p.consume_token(&Token::Comma) {
            break;
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;

    fn parse(sql: &str, vacuum: bool) -> Result<Maintenance, ParserError> {
        let dialect = PostgreSqlDialect {};
        let mut p = Parser::new(&dialect).try_with_sql(sql)?;
        let m = parse_maintenance(&mut p, vacuum)?;
        if p.peek_token_ref().token != Token::EOF {
            return Err(ParserError::ParserError("trailing tokens".into()));
        }
        Ok(m)
    }

    #[test]
    fn vacuum_forms() {
        let m = parse("FULL VERBOSE ANALYZE t, s.u (a, b)", true).unwrap();
        assert!(m.full && m.verbose && m.analyze);
        assert_eq!(m.tables.len(), 2);
        let m = parse("(VERBOSE, ANALYZE false, FULL 1) t", true).unwrap();
        assert!(m.full && m.verbose && !m.analyze);
        let m = parse("", true).unwrap();
        assert!(m.tables.is_empty() && !m.full);
        assert!(parse("(bogus) t", true).is_err());
    }

    #[test]
    fn analyze_forms() {
        let m = parse("VERBOSE t", false).unwrap();
        assert!(m.analyze && m.verbose && !m.vacuum);
        assert!(parse("FULL t", false).is_err());
    }
}
