//! `FETCH` and `MOVE` with PostgreSQL's full grammar (sqlparser's `FETCH` needs `FROM`
//! and has no `MOVE`):
//!
//! ```text
//! { FETCH | MOVE } [ direction ] [ FROM | IN ] cursor_name
//! direction: NEXT | PRIOR | FIRST | LAST | ABSOLUTE n | RELATIVE n | n | ALL
//!          | FORWARD [ n | ALL ] | BACKWARD [ n | ALL ]
//! ```
//!
//! `DECLARE ... CURSOR` and `CLOSE` go through sqlparser.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::syntax_error;
use super::take_word;
use helios_common::Result;

/// How many rows a `FETCH`/`MOVE` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// A number of rows.
    Rows(i64),
    /// Every remaining row in the direction.
    All,
}

/// Where a `FETCH`/`MOVE` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `NEXT`, `n`, `ALL`, `FORWARD [n | ALL]` (a negative `n` goes backward).
    Forward(Count),
    /// `PRIOR`, `BACKWARD [n | ALL]` (a negative `n` goes forward).
    Backward(Count),
    /// `ABSOLUTE n`, `FIRST` (1), `LAST` (-1): one row by position; negative counts
    /// from the end.
    Absolute(i64),
    /// `RELATIVE n`: one row `n` away from the current one (0 re-reads it).
    Relative(i64),
}

/// A parsed `FETCH` or `MOVE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorMove {
    /// The cursor.
    pub name: String,
    /// Where to go.
    pub direction: Direction,
    /// `MOVE`: reposition without returning rows.
    pub is_move: bool,
}

/// Parses `piece` when it is a `FETCH` or `MOVE` statement; `None` otherwise.
pub(super) fn parse(piece: &[TokenWithSpan]) -> Result<Option<CursorMove>> {
    let mut tokens =
        piece.iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).cloned().peekable();
    let is_move = match tokens.peek().map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => {
            match w.value.to_ascii_lowercase().as_str() {
                "fetch" => false,
                "move" => true,
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    tokens.next();
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(tokens.collect());
    let stmt = parse_rest(&mut p, is_move).map_err(syntax_error)?;
    Ok(Some(stmt))
}

fn parse_rest(p: &mut Parser<'_>, is_move: bool) -> std::result::Result<CursorMove, ParserError> {
    let direction = parse_direction(p)?;
    // FROM / IN are optional.
    if !take_word(p, "from") {
        take_word(p, "in");
    }
    let name = super::ident_name(&p.parse_identifier()?);
    if p.peek_token_ref().token != Token::EOF {
        let t = p.peek_token();
        return Err(ParserError::ParserError(format!(
            "Expected: end of statement, found: {}",
            t.token
        )));
    }
    Ok(CursorMove { name, direction, is_move })
}

fn parse_direction(p: &mut Parser<'_>) -> std::result::Result<Direction, ParserError> {
    if let Some(n) = signed_number(p)? {
        return Ok(forward(n));
    }
    // A bare cursor name (`FETCH c`) means NEXT; so does anything that is not a
    // direction keyword followed by more tokens.
    let word = match &p.peek_token_ref().token {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_lowercase(),
        _ => return Ok(Direction::Forward(Count::Rows(1))),
    };
    let keyword = matches!(
        word.as_str(),
        "next"
            | "prior"
            | "first"
            | "last"
            | "absolute"
            | "relative"
            | "all"
            | "forward"
            | "backward"
    );
    if !keyword {
        return Ok(Direction::Forward(Count::Rows(1)));
    }
    p.advance_token();
    Ok(match word.as_str() {
        "next" => Direction::Forward(Count::Rows(1)),
        "prior" => Direction::Backward(Count::Rows(1)),
        "first" => Direction::Absolute(1),
        "last" => Direction::Absolute(-1),
        "absolute" => Direction::Absolute(expect_number(p)?),
        "relative" => Direction::Relative(expect_number(p)?),
        "all" => Direction::Forward(Count::All),
        "forward" => match optional_count(p)? {
            Some(Count::Rows(n)) => forward(n),
            Some(Count::All) => Direction::Forward(Count::All),
            None => Direction::Forward(Count::Rows(1)),
        },
        _ => match optional_count(p)? {
            Some(Count::Rows(n)) => backward(n),
            Some(Count::All) => Direction::Backward(Count::All),
            None => Direction::Backward(Count::Rows(1)),
        },
    })
}

fn forward(n: i64) -> Direction {
    if n < 0 {
        Direction::Backward(Count::Rows(-n))
    } else {
        Direction::Forward(Count::Rows(n))
    }
}

fn backward(n: i64) -> Direction {
    if n < 0 {
        Direction::Forward(Count::Rows(-n))
    } else {
        Direction::Backward(Count::Rows(n))
    }
}

fn optional_count(p: &mut Parser<'_>) -> std::result::Result<Option<Count>, ParserError> {
    if take_word(p, "all") {
        return Ok(Some(Count::All));
    }
    Ok(signed_number(p)?.map(Count::Rows))
}

fn expect_number(p: &mut Parser<'_>) -> std::result::Result<i64, ParserError> {
    match signed_number(p)? {
        Some(n) => Ok(n),
        None => {
            let t = p.peek_token();
            Err(ParserError::ParserError(format!("Expected: a row count, found: {}", t.token)))
        }
    }
}

/// An optionally signed integer literal.
fn signed_number(p: &mut Parser<'_>) -> std::result::Result<Option<i64>, ParserError> {
    let negative = match p.peek_token_ref().token {
        Token::Minus => true,
        Token::Plus => false,
        Token::Number(..) => false,
        _ => return Ok(None),
    };
    if matches!(p.peek_token_ref().token, Token::Minus | Token::Plus) {
        p.advance_token();
    }
    let t = p.next_token();
    let Token::Number(text, _) = &t.token else {
        return Err(ParserError::ParserError(format!("Expected: a row count, found: {}", t.token)));
    };
    let n: i64 = text
        .parse()
        .map_err(|_| ParserError::ParserError(format!("Expected: a row count, found: {text}")))?;
    Ok(Some(if negative { -n } else { n }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{parse as parse_sql, Statement};

    fn one(sql: &str) -> CursorMove {
        match parse_sql(sql).unwrap().pop() {
            Some(Statement::Cursor(c)) => *c,
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn parses_every_direction() {
        use Direction::*;
        let cases = [
            ("FETCH c", Forward(Count::Rows(1))),
            ("fetch next from c", Forward(Count::Rows(1))),
            ("FETCH PRIOR IN c", Backward(Count::Rows(1))),
            ("FETCH FIRST c", Absolute(1)),
            ("FETCH LAST FROM c", Absolute(-1)),
            ("FETCH ABSOLUTE -2 FROM c", Absolute(-2)),
            ("FETCH RELATIVE 0 c", Relative(0)),
            ("FETCH 5 FROM c", Forward(Count::Rows(5))),
            ("FETCH -3 c", Backward(Count::Rows(3))),
            ("FETCH ALL c", Forward(Count::All)),
            ("FETCH FORWARD c", Forward(Count::Rows(1))),
            ("FETCH FORWARD 100 FROM \"C\"", Forward(Count::Rows(100))),
            ("FETCH FORWARD ALL FROM c", Forward(Count::All)),
            ("FETCH BACKWARD 2 FROM c", Backward(Count::Rows(2))),
            ("FETCH BACKWARD -2 FROM c", Forward(Count::Rows(2))),
            ("FETCH BACKWARD ALL FROM c", Backward(Count::All)),
        ];
        for (sql, want) in cases {
            let got = one(sql);
            assert_eq!(got.direction, want, "{sql}");
            assert!(!got.is_move);
        }
        assert_eq!(one("FETCH FORWARD 100 FROM \"C\"").name, "C");
        let m = one("MOVE ABSOLUTE 3 IN c");
        assert!(m.is_move);
        assert_eq!(m.direction, Direction::Absolute(3));
    }

    #[test]
    fn rejects_malformed_fetch() {
        for sql in ["FETCH", "FETCH ABSOLUTE FROM c", "FETCH 1 FROM c d", "FETCH 1.5 FROM c"] {
            let e = parse_sql(sql).unwrap_err();
            assert_eq!(e.sqlstate(), helios_common::SqlState::SYNTAX_ERROR, "{sql}");
        }
        // Statements that merely contain the words are not cursor commands.
        assert!(matches!(
            parse_sql("SELECT 'fetch move' AS x").unwrap().pop(),
            Some(Statement::Sql(_))
        ));
    }
}
