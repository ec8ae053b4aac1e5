//! `SET CONSTRAINTS` and `ALTER TABLE ... ALTER CONSTRAINT`, which sqlparser does not
//! read.
//!
//! ```text
//! SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }
//! ALTER TABLE [IF EXISTS] [ONLY] table ALTER CONSTRAINT name
//!     [ DEFERRABLE | NOT DEFERRABLE ] [ INITIALLY DEFERRED | INITIALLY IMMEDIATE ]
//! ```

use helios_common::{Error, Result, SqlState};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::{object_name, QualifiedName};

/// A constraint-mode statement.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintStatement {
    /// `SET CONSTRAINTS`.
    SetConstraints {
        /// The constraints (`None`: `ALL`).
        names: Option<Vec<QualifiedName>>,
        /// `DEFERRED` (else `IMMEDIATE`).
        deferred: bool,
    },
    /// `ALTER TABLE ... ALTER CONSTRAINT`.
    AlterConstraint {
        /// The table.
        table: QualifiedName,
        /// `IF EXISTS`.
        if_exists: bool,
        /// The constraint.
        name: String,
        /// `DEFERRABLE` / `NOT DEFERRABLE` (`None`: unchanged).
        deferrable: Option<bool>,
        /// `INITIALLY DEFERRED` / `INITIALLY IMMEDIATE` (`None`: unchanged).
        initially_deferred: Option<bool>,
    },
}

fn word(p: &mut Parser<'_>, w: &str) -> bool {
    let hit = matches!(&p.peek_token_ref().token, Token::Word(x)
        if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    if hit {
        p.advance_token();
    }
    hit
}

fn peek_words(p: &Parser<'_>, ws: &[&str]) -> bool {
    ws.iter().enumerate().all(|(i, w)| {
        matches!(&p.peek_nth_token_ref(i).token, Token::Word(x)
            if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
    })
}

fn syntax(msg: impl Into<String>) -> Error {
    Error::new(SqlState::SYNTAX_ERROR, msg.into())
}

fn expected(p: &Parser<'_>, what: &str) -> Error {
    let t = p.peek_token_ref();
    let at =
        if t.token == Token::EOF { "end of input".to_string() } else { format!("\"{}\"", t.token) };
    syntax(format!("syntax error at or near {at}")).with_detail(format!("Expected {what}."))
}

/// Parses a statement starting `SET CONSTRAINTS` or `ALTER TABLE ... ALTER CONSTRAINT`
/// (`None` for anything else).
pub fn parse(p: &mut Parser<'_>) -> Result<Option<ConstraintStatement>> {
    if peek_words(p, &["set", "constraints"]) {
        p.advance_token();
        p.advance_token();
        let names = if word(p, "all") {
            None
        } else {
            let mut names = Vec::new();
            loop {
                let n = p.parse_object_name(false).map_err(|e| syntax(e.to_string()))?;
                names.push(object_name(&n)?);
                if !p.consume_token(&Token::Comma) {
                    break;
                }
            }
            Some(names)
        };
        let deferred = if word(p, "deferred") {
            true
        } else if word(p, "immediate") {
            false
        } else {
            return Err(expected(p, "DEFERRED or IMMEDIATE"));
        };
        end(p)?;
        return Ok(Some(ConstraintStatement::SetConstraints { names, deferred }));
    }
    if !peek_words(p, &["alter", "table"]) {
        return Ok(None);
    }
    // Only `ALTER TABLE name ALTER CONSTRAINT ...` is ours: look ahead without consuming.
    let mut i = 2;
    let mut skip = |ws: &[&str]| {
        let hit = ws.iter().enumerate().all(|(k, w)| {
            matches!(&p.peek_nth_token_ref(i + k).token, Token::Word(x)
                if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
        });
        if hit {
            i += ws.len();
        }
        hit
    };
    let if_exists = skip(&["if", "exists"]);
    skip(&["only"]);
    let start = i;
    // A (possibly qualified) name: word (. word)*.
    loop {
        if !matches!(p.peek_nth_token_ref(i).token, Token::Word(_)) {
            return Ok(None);
        }
        i += 1;
        if p.peek_nth_token_ref(i).token == Token::Period {
            i += 1;
        } else {
            break;
        }
    }
    let is_ours = |k: usize, w: &str| {
        matches!(&p.peek_nth_token_ref(k).token, Token::Word(x)
            if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
    };
    if !(is_ours(i, "alter") && is_ours(i + 1, "constraint")) {
        return Ok(None);
    }
    for _ in 0..start {
        p.advance_token();
    }
    let table = p.parse_object_name(false).map_err(|e| syntax(e.to_string()))?;
    let table = object_name(&table)?;
    p.advance_token();
    p.advance_token();
    let name =
        super::ident_name(&p.parse_identifier().map_err(|e: ParserError| syntax(e.to_string()))?);
    let mut deferrable = None;
    let mut initially_deferred = None;
    loop {
        if word(p, "deferrable") {
            deferrable = Some(true);
        } else if peek_words(p, &["not", "deferrable"]) {
            p.advance_token();
            p.advance_token();
            deferrable = Some(false);
        } else if word(p, "initially") {
            if word(p, "deferred") {
                initially_deferred = Some(true);
            } else if word(p, "immediate") {
                initially_deferred = Some(false);
            } else {
                return Err(expected(p, "DEFERRED or IMMEDIATE"));
            }
        } else if peek_words(p, &["no", "inherit"]) {
            return Err(syntax("FOREIGN KEY constraints cannot be marked NO INHERIT"));
        } else if peek_words(p, &["not", "valid"]) {
            return Err(syntax("FOREIGN KEY constraints cannot be marked NOT VALID"));
        } else {
            break;
        }
    }
    end(p)?;
    if initially_deferred == Some(true) && deferrable == Some(false) {
        return Err(syntax("constraint declared INITIALLY DEFERRED must be DEFERRABLE"));
    }
    Ok(Some(ConstraintStatement::AlterConstraint {
        table,
        if_exists,
        name,
        deferrable,
        initially_deferred,
    }))
}

fn end(p: &mut Parser<'_>) -> Result<()> {
    if p.peek_token_ref().token == Token::EOF {
        Ok(())
    } else {
        Err(expected(p, "end of statement"))
    }
}
