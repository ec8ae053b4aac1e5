//! The error type that crosses crate boundaries.
//!
//! An [`Error`] is what PostgreSQL would put in an ErrorResponse: a SQLSTATE, a message in
//! PostgreSQL style (lowercase, no trailing period, identifiers in double quotes) and
//! optional detail, hint and cursor position. Library crates define their own `thiserror`
//! enums and convert them into this type at their public boundary.

use std::fmt;

use crate::SqlState;

/// Result alias used across the workspace.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A database error with its SQLSTATE.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    state: SqlState,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    /// 1-based character position in the statement text, as in PostgreSQL.
    position: Option<u32>,
    /// Where the error points while the statement text is not at hand (see
    /// [`Error::with_anchor`]).
    anchor: Option<Box<Anchor>>,
    /// Where the error happened inside a routine (CONTEXT, QUERY and its position).
    place: Option<Box<Place>>,
}

/// The ErrorResponse fields that say where inside a routine an error happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Place {
    /// CONTEXT lines, innermost first, one per line.
    context: Option<String>,
    /// The statement of a routine the error's position counts in (QUERY).
    internal_query: Option<String>,
    /// 1-based character position in `internal_query`.
    internal_position: Option<u32>,
}

/// A place in a statement's text as the SQL parser counts it (1-based line and column, in
/// characters) and the token expected there. [`Error::locate`] turns it into a position
/// once the text is known, and only when the token is found there: text that was
/// rewritten before parsing (or belongs to another statement, such as a view's query)
/// gives no position rather than a wrong one.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Anchor {
    line: u64,
    column: u64,
    token: String,
    /// The token follows the place after white space (an operator after its left
    /// operand's end).
    after_space: bool,
}

impl Error {
    /// An error with the given code and message.
    pub fn new(state: SqlState, message: impl Into<String>) -> Error {
        Error {
            state,
            message: message.into(),
            detail: None,
            hint: None,
            position: None,
            anchor: None,
            place: None,
        }
    }

    /// Adds a DETAIL line.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Error {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a HINT line.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the 1-based character position in the statement.
    pub fn with_position(mut self, position: u32) -> Error {
        self.position = Some(position);
        self
    }

    /// Points the error at `token`, found at `line` and `column` (1-based, characters) of
    /// the statement text; kept until [`Error::locate`] sees the text. An error that
    /// already points somewhere keeps that place (the innermost one wins).
    pub fn with_anchor(self, line: u64, column: u64, token: &str) -> Error {
        self.anchored(Anchor { line, column, token: token.to_string(), after_space: false })
    }

    /// [`Error::with_anchor`] for a token found after white space that follows the place
    /// (an operator, after the end of its left operand).
    pub fn with_anchor_after(self, line: u64, column: u64, token: &str) -> Error {
        self.anchored(Anchor { line, column, token: token.to_string(), after_space: true })
    }

    /// Re-bases the anchor of an error found in a piece of a statement (a function
    /// body, a PL/pgSQL expression) onto the text around it: the piece starts at `line`
    /// and `column` (1-based, characters) there. A first-line column that falls before
    /// the text's start (the piece had a prefix that the text lacks) drops the anchor.
    pub fn shift_anchor(mut self, line: u64, column: i64) -> Error {
        if let Some(a) = self.anchor.as_mut() {
            if a.line == 1 {
                match u64::try_from(a.column as i64 + column - 1) {
                    Ok(c) if c >= 1 => a.column = c,
                    _ => {
                        self.anchor = None;
                        return self;
                    }
                }
            }
            a.line += line.saturating_sub(1);
        }
        self
    }

    fn anchored(mut self, anchor: Anchor) -> Error {
        if self.position.is_none() && self.anchor.is_none() && anchor.line > 0 && anchor.column > 0
        {
            self.anchor = Some(Box::new(anchor));
        }
        self
    }

    /// Resolves the anchor of [`Error::with_anchor`] against `text`, the statement text
    /// the error's anchor counts in: sets the position when `text` holds the anchor's token
    /// at its place (compared without regard to ASCII case), and drops the anchor.
    pub fn locate(mut self, text: &str) -> Error {
        let Some(anchor) = self.anchor.take() else { return self };
        if self.position.is_some() {
            return self;
        }
        let mut line = 1u64;
        let mut chars = 0usize;
        let mut line_start = Some(0usize);
        if anchor.line > 1 {
            line_start = None;
            for (i, c) in text.char_indices() {
                chars += 1;
                if c == '\n' {
                    line += 1;
                    if line == anchor.line {
                        line_start = Some(i + 1);
                        break;
                    }
                }
            }
        }
        let Some(start) = line_start else { return self };
        let Some((offset, _)) = text[start..].char_indices().nth((anchor.column - 1) as usize)
        else {
            return self;
        };
        let offset = if anchor.after_space {
            let rest = &text[start + offset..];
            offset + rest.len() - rest.trim_start().len()
        } else {
            offset
        };
        let at = &text[start + offset..];
        let found =
            at.get(..anchor.token.len()).is_some_and(|t| t.eq_ignore_ascii_case(&anchor.token));
        if found {
            let column_chars = text[start..start + offset].chars().count();
            if let Ok(p) = u32::try_from(chars + column_chars + 1) {
                self.position = Some(p);
            }
        }
        self
    }

    /// Adds a CONTEXT line (PostgreSQL's error context: the innermost place comes
    /// first, each caller adds its line after it).
    pub fn with_context_line(mut self, line: impl Into<String>) -> Error {
        let place = self.place.get_or_insert_with(Box::default);
        let line = line.into();
        place.context = Some(match place.context.take() {
            Some(c) => format!("{c}\n{line}"),
            None => line,
        });
        self
    }

    /// Resolves the anchor (or position) against `query`, the text of a statement a
    /// routine ran, into the QUERY `shown` and a position in it (`query` is `shown`
    /// with its first characters replaced: a position in `shown` is `offset` less): a routine's statement is not the client's text, so
    /// the client's statement gets no position from it. Does nothing when the error
    /// points nowhere or already points into a routine's statement.
    pub fn locate_internal(mut self, query: &str, shown: &str, offset: i64) -> Error {
        if self.internal_query().is_some() {
            return self;
        }
        self = self.locate(query);
        let Some(p) = self.position.take() else { return self };
        let place = self.place.get_or_insert_with(Box::default);
        place.internal_query = Some(shown.to_string());
        place.internal_position = u32::try_from(i64::from(p) - offset).ok().filter(|p| *p > 0);
        self
    }

    /// The CONTEXT text, if any.
    pub fn context(&self) -> Option<&str> {
        self.place.as_ref().and_then(|p| p.context.as_deref())
    }

    /// The routine statement the error points into (QUERY), if any.
    pub fn internal_query(&self) -> Option<&str> {
        self.place.as_ref().and_then(|p| p.internal_query.as_deref())
    }

    /// The 1-based character position in [`Error::internal_query`], if known.
    pub fn internal_position(&self) -> Option<u32> {
        self.place.as_ref().and_then(|p| p.internal_position)
    }

    /// The SQLSTATE code.
    pub fn sqlstate(&self) -> SqlState {
        self.state
    }

    /// The primary message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The DETAIL text, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The HINT text, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The 1-based character position in the statement, if known.
    pub fn position(&self) -> Option<u32> {
        self.position
    }

    /// Whether running the same transaction again may succeed (serialization failures,
    /// deadlocks): clients and the embedded API's retry helpers use this.
    pub fn is_retryable(&self) -> bool {
        self.state.class() == "40"
    }

    /// `0A000 feature not supported`.
    pub fn unsupported(what: impl fmt::Display) -> Error {
        Error::new(SqlState::FEATURE_NOT_SUPPORTED, format!("{what} is not supported"))
    }

    /// `XX000 internal error`: a broken invariant that is not the user's fault.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(SqlState::INTERNAL_ERROR, message)
    }

    /// `58030 io error`.
    pub fn io(context: impl fmt::Display, err: &std::io::Error) -> Error {
        Error::new(SqlState::IO_ERROR, format!("{context}: {err}"))
    }

    /// `XX001 data corrupted`: bytes read from disk do not decode.
    pub fn corrupted(message: impl Into<String>) -> Error {
        Error::new(SqlState::DATA_CORRUPTED, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\nDETAIL:  {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nHINT:  {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {}", self.state, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reports_retryability() {
        let e = Error::new(SqlState::SERIALIZATION_FAILURE, "could not serialize access")
            .with_detail("key k");
        assert!(e.is_retryable());
        assert_eq!(e.to_string(), "could not serialize access\nDETAIL:  key k");
        assert!(!Error::unsupported("LISTEN").is_retryable());
        assert_eq!(Error::unsupported("LISTEN").message(), "LISTEN is not supported");
    }

    #[test]
    fn context_lines_stack_innermost_first() {
        let e = Error::new(SqlState::DIVISION_BY_ZERO, "division by zero")
            .with_context_line("SQL expression \"1/0\"")
            .with_context_line("PL/pgSQL function f() line 3 at RETURN");
        assert_eq!(
            e.context(),
            Some("SQL expression \"1/0\"\nPL/pgSQL function f() line 3 at RETURN")
        );
        // A position in a routine's statement moves to QUERY; the client's text gets none.
        let e = Error::new(SqlState::UNDEFINED_COLUMN, "column \"y\" does not exist")
            .with_anchor(1, 12, "y")
            .locate_internal("SELECT 1 + y", "n := 1 + y", 2);
        assert_eq!(e.internal_query(), Some("n := 1 + y"));
        assert_eq!(e.internal_position(), Some(10));
        assert_eq!(e.locate("SELECT 1 + y").position(), None);
    }

    #[test]
    fn anchors_become_positions_where_their_token_is() {
        let e = || Error::new(SqlState::UNDEFINED_COLUMN, "column \"nope\" does not exist");
        let sql = "SELECT a,\n  nope FROM t";
        assert_eq!(e().with_anchor(2, 3, "nope").locate(sql).position(), Some(13));
        assert_eq!(e().with_anchor(1, 8, "A").locate(sql).position(), Some(8));
        // Columns count characters, as PostgreSQL's positions do.
        assert_eq!(e().with_anchor(1, 13, "nope").locate("SELECT 'é', nope").position(), Some(13));
        // Not the token there, or out of the text: no position.
        assert_eq!(e().with_anchor(2, 4, "nope").locate(sql).position(), None);
        assert_eq!(e().with_anchor(3, 1, "nope").locate(sql).position(), None);
        assert_eq!(e().with_anchor(1, 99, "nope").locate(sql).position(), None);
        // The first anchor stays; a known position is kept.
        let inner = e().with_anchor(1, 8, "a").with_anchor(2, 3, "nope");
        assert_eq!(inner.locate(sql).position(), Some(8));
        let known = e().with_position(3).with_anchor(1, 8, "a");
        assert_eq!(known.locate(sql).position(), Some(3));
        // An operator after its left operand's end, past white space (or a line break).
        assert_eq!(e().with_anchor_after(1, 9, "+").locate("select 1  + 'a'").position(), Some(11));
        assert_eq!(e().with_anchor_after(1, 9, "+").locate("select 1\n+ 'a'").position(), Some(10));
        assert_eq!(e().with_anchor_after(1, 9, "-").locate("select 1 + 'a'").position(), None);
    }
}
