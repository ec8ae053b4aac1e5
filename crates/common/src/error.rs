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
    /// 1-based (line, column) in the parsed text, until [`Error::resolve_location`]
    /// turns it into `position`.
    location: Option<(u64, u64)>,
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
            location: None,
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

    /// Marks where in the parsed text the error points (1-based line and column, as
    /// the parser reports them), unless it already has a position or a location.
    pub fn with_location(mut self, line: u64, column: u64) -> Error {
        if self.position.is_none() && self.location.is_none() && line > 0 && column > 0 {
            self.location = Some((line, column));
        }
        self
    }

    /// Turns a location set by [`Error::with_location`] into the character position
    /// within `sql`, the text that was parsed.
    pub fn resolve_location(mut self, sql: &str) -> Error {
        let Some((line, column)) = self.location.take() else { return self };
        if self.position.is_some() {
            return self;
        }
        let mut chars = 0u64;
        for (i, text) in sql.split('\n').enumerate() {
            if i as u64 + 1 == line {
                let len = text.chars().count() as u64 + 1;
                if column <= len {
                    self.position = u32::try_from(chars + column).ok();
                }
                return self;
            }
            chars += text.chars().count() as u64 + 1;
        }
        self
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
    fn locations_become_character_positions() {
        let e = Error::new(SqlState::INVALID_DATETIME_FORMAT, "bad").with_location(2, 8);
        assert_eq!(e.position(), None);
        let e = e.resolve_location("SELECT\n  date 'x'");
        assert_eq!(e.position(), Some(15));
        let e = Error::new(SqlState::INVALID_DATETIME_FORMAT, "bad").with_location(1, 9);
        assert_eq!(e.resolve_location("SELECT 'é'::date, 'x'").position(), Some(9));
        let kept = Error::new(SqlState::SYNTAX_ERROR, "x").with_position(3).with_location(1, 1);
        assert_eq!(kept.resolve_location("abc").position(), Some(3));
        let beyond = Error::new(SqlState::SYNTAX_ERROR, "x").with_location(4, 1);
        assert_eq!(beyond.resolve_location("abc").position(), None);
    }
}
