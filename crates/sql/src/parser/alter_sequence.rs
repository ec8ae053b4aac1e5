//! `ALTER SEQUENCE`, which sqlparser does not read:
//!
//! ```text
//! ALTER SEQUENCE [ IF EXISTS ] name
//!     [ INCREMENT [ BY ] n ] [ MINVALUE n | NO MINVALUE ] [ MAXVALUE n | NO MAXVALUE ]
//!     [ START [ WITH ] n ] [ RESTART [ [ WITH ] n ] ] [ CACHE n ] [ [ NO ] CYCLE ]
//!     [ OWNED BY { table.column | NONE } ]
//! ALTER SEQUENCE [ IF EXISTS ] name RENAME TO new_name
//! ALTER SEQUENCE [ IF EXISTS ] name SET SCHEMA new_schema
//! ```
//!
//! (`OWNER TO` goes through `ALTER TABLE`, see `owner_to.rs`; `AS type` is refused
//! with 0A000 by the session.)

use helios_common::{Error, Result, SqlState};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::QualifiedName;

/// One change `ALTER SEQUENCE` makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceChange {
    /// `INCREMENT [BY] n`.
    Increment(i64),
    /// `MINVALUE n`, or `NO MINVALUE` (`None`: the default for the direction).
    MinValue(Option<i64>),
    /// `MAXVALUE n` or `NO MAXVALUE`.
    MaxValue(Option<i64>),
    /// `START [WITH] n`.
    Start(i64),
    /// `RESTART [[WITH] n]` (`None`: the start value).
    Restart(Option<i64>),
    /// `CACHE n` (values are not cached here: checked, then kept as nothing).
    Cache(i64),
    /// `CYCLE` / `NO CYCLE`.
    Cycle(bool),
    /// `OWNED BY table.column` (`None`: `OWNED BY NONE`).
    OwnedBy(Option<(QualifiedName, String)>),
    /// `RENAME TO name`.
    RenameTo(String),
    /// `SET SCHEMA name`.
    SetSchema(String),
    /// A clause this engine does not carry out (`AS type`, `SET LOGGED`, ...).
    Unsupported(String),
}

/// A parsed `ALTER SEQUENCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterSequence {
    /// The sequence.
    pub name: QualifiedName,
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// The changes, in order.
    pub changes: Vec<SequenceChange>,
}

struct Words {
    tokens: Vec<Token>,
    at: usize,
}

impl Words {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.peek_word().as_deref() == Some(word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn error(&self) -> Error {
        match self.tokens.get(self.at) {
            Some(t) => {
                Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{t}\""))
            }
            None => Error::new(SqlState::SYNTAX_ERROR, "syntax error at end of input"),
        }
    }

    fn number(&mut self) -> Result<i64> {
        let negative = matches!(self.tokens.get(self.at), Some(Token::Minus));
        if negative || matches!(self.tokens.get(self.at), Some(Token::Plus)) {
            self.at += 1;
        }
        let Some(Token::Number(text, _)) = self.tokens.get(self.at) else {
            return Err(self.error());
        };
        let text = if negative { format!("-{text}") } else { text.clone() };
        let n = text.parse::<i64>().map_err(|_| {
            Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("value \"{text}\" is out of range for type bigint"),
            )
        })?;
        self.at += 1;
        Ok(n)
    }

    fn ident(&mut self) -> Result<String> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => {
                self.at += 1;
                Ok(match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_lowercase(),
                })
            }
            _ => Err(self.error()),
        }
    }

    /// `a`, `a.b` or `a.b.c` as parts.
    fn dotted(&mut self) -> Result<Vec<String>> {
        let mut parts = vec![self.ident()?];
        while matches!(self.tokens.get(self.at), Some(Token::Period)) {
            self.at += 1;
            parts.push(self.ident()?);
        }
        Ok(parts)
    }
}

fn qualified(mut parts: Vec<String>) -> Result<QualifiedName> {
    let name = parts.pop().ok_or_else(|| Error::new(SqlState::SYNTAX_ERROR, "missing name"))?;
    match parts.len() {
        0 => Ok(QualifiedName { schema: None, name }),
        1 => Ok(QualifiedName { schema: parts.pop(), name }),
        _ => Err(Error::new(
            SqlState::SYNTAX_ERROR,
            "improper qualified name (too many dotted names)",
        )),
    }
}

/// Parses `piece` when it is an `ALTER SEQUENCE` (other than `OWNER TO`); `None`
/// otherwise.
pub(super) fn parse(piece: &[TokenWithSpan]) -> Result<Option<AlterSequence>> {
    let tokens: Vec<Token> = piece
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .map(|t| t.token.clone())
        .collect();
    let mut w = Words { tokens, at: 0 };
    if !(w.eat("ALTER") && w.eat("SEQUENCE")) {
        return Ok(None);
    }
    let owner_to = w.tokens.windows(2).any(|p| {
        matches!(p, [Token::Word(a), Token::Word(b)]
            if a.value.eq_ignore_ascii_case("owner") && b.value.eq_ignore_ascii_case("to"))
    });
    if owner_to {
        return Ok(None);
    }
    let if_exists = w.eat("IF");
    if if_exists && !w.eat("EXISTS") {
        return Err(w.error());
    }
    let name = qualified(w.dotted()?)?;
    let mut changes = Vec::new();
    if w.eat("RENAME") {
        if !w.eat("TO") {
            return Err(w.error());
        }
        changes.push(SequenceChange::RenameTo(w.ident()?));
    }
    while w.at < w.tokens.len() {
        let change = if w.eat("INCREMENT") {
            w.eat("BY");
            SequenceChange::Increment(w.number()?)
        } else if w.eat("MINVALUE") {
            SequenceChange::MinValue(Some(w.number()?))
        } else if w.eat("MAXVALUE") {
            SequenceChange::MaxValue(Some(w.number()?))
        } else if w.eat("NO") {
            if w.eat("MINVALUE") {
                SequenceChange::MinValue(None)
            } else if w.eat("MAXVALUE") {
                SequenceChange::MaxValue(None)
            } else if w.eat("CYCLE") {
                SequenceChange::Cycle(false)
            } else {
                return Err(w.error());
            }
        } else if w.eat("CYCLE") {
            SequenceChange::Cycle(true)
        } else if w.eat("START") {
            w.eat("WITH");
            SequenceChange::Start(w.number()?)
        } else if w.eat("RESTART") {
            let with = w.eat("WITH");
            let value = matches!(w.tokens.get(w.at), Some(Token::Number(..) | Token::Minus));
            if with && !value {
                return Err(w.error());
            }
            SequenceChange::Restart(if value { Some(w.number()?) } else { None })
        } else if w.eat("CACHE") {
            SequenceChange::Cache(w.number()?)
        } else if w.eat("OWNED") {
            if !w.eat("BY") {
                return Err(w.error());
            }
            if w.eat("NONE") {
                SequenceChange::OwnedBy(None)
            } else {
                let mut parts = w.dotted()?;
                if parts.len() < 2 {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "invalid OWNED BY option",
                    )
                    .with_hint("Specify OWNED BY table.column or OWNED BY NONE."));
                }
                let column = parts.pop().unwrap_or_default();
                SequenceChange::OwnedBy(Some((qualified(parts)?, column)))
            }
        } else if w.eat("AS") {
            let ty = w.ident()?;
            SequenceChange::Unsupported(format!("ALTER SEQUENCE ... AS {ty}"))
        } else if w.eat("SET") {
            if w.eat("SCHEMA") {
                SequenceChange::SetSchema(w.ident()?)
            } else {
                SequenceChange::Unsupported("ALTER SEQUENCE ... SET".into())
            }
        } else {
            return Err(w.error());
        };
        changes.push(change);
    }
    if changes.is_empty() {
        return Err(w.error());
    }
    Ok(Some(AlterSequence { name, if_exists, changes }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn p(sql: &str) -> Result<Option<AlterSequence>> {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location().unwrap();
        parse(&tokens)
    }

    #[test]
    fn reads_postgresql_alter_sequence() {
        let a =
            p("ALTER SEQUENCE IF EXISTS s.q INCREMENT BY -2 NO MINVALUE MAXVALUE 10 RESTART CYCLE")
                .unwrap()
                .unwrap();
        assert!(a.if_exists);
        assert_eq!(a.name.schema.as_deref(), Some("s"));
        assert_eq!(
            a.changes,
            [
                SequenceChange::Increment(-2),
                SequenceChange::MinValue(None),
                SequenceChange::MaxValue(Some(10)),
                SequenceChange::Restart(None),
                SequenceChange::Cycle(true),
            ]
        );
        let a = p("alter sequence q restart with 5 owned by t.id").unwrap().unwrap();
        assert_eq!(a.changes[0], SequenceChange::Restart(Some(5)));
        assert!(
            matches!(&a.changes[1], SequenceChange::OwnedBy(Some((t, c))) if t.name == "t" && c == "id")
        );
        assert_eq!(
            p("ALTER SEQUENCE q RENAME TO r").unwrap().unwrap().changes,
            [SequenceChange::RenameTo("r".into())]
        );
        assert_eq!(p("ALTER SEQUENCE q OWNER TO bob").unwrap(), None);
        assert_eq!(p("ALTER TABLE q RENAME TO r").unwrap(), None);
        assert!(p("ALTER SEQUENCE q").is_err());
        assert!(p("ALTER SEQUENCE q INCREMENT BY").is_err());
        assert!(p("ALTER SEQUENCE q RESTART WITH").is_err());
        assert!(p("ALTER SEQUENCE q OWNED BY t").is_err());
    }
}
