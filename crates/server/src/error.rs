//! Errors of the server crate and their wire form.
//!
//! Database errors ([`helios_common::Error`]) travel to the client as an `ErrorResponse`
//! with severity, SQLSTATE, message, detail, hint and position. Server-side failures
//! (bad configuration, sockets, TLS files) are [`ServerError`].

use helios_common::{Error, SqlState};
use pgwire::error::{ErrorInfo, PgWireError};

/// Failures of the server itself (not of a client's statement).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A configuration that cannot work, e.g. `trust` on a public address.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A socket, file or TLS setup failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database refused to open.
    #[error(transparent)]
    Database(#[from] Error),
}

impl From<ServerError> for Error {
    fn from(e: ServerError) -> Error {
        match e {
            ServerError::Config(m) => Error::new(SqlState::CONFIG_FILE_ERROR, m),
            ServerError::Io { context, source } => Error::io(context, &source),
            ServerError::Database(e) => e,
        }
    }
}

/// The `ErrorResponse` fields of a database error (severity `ERROR`).
pub fn error_info(e: &Error) -> ErrorInfo {
    let mut info =
        ErrorInfo::new("ERROR".to_owned(), e.sqlstate().code().to_owned(), e.message().to_owned());
    info.detail = e.detail().map(str::to_owned);
    info.hint = e.hint().map(str::to_owned);
    info.position = e.position().map(|p| p.to_string());
    info.where_context = e.context().map(str::to_owned);
    info.internal_query = e.internal_query().map(str::to_owned);
    info.internal_position = e.internal_position().map(|p| p.to_string());
    info
}

/// A database error as a pgwire error, to be sent as `ErrorResponse`.
pub fn to_pgwire(e: &Error) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e)))
}

/// A `FATAL` error that ends the connection (startup failures).
pub fn fatal(state: SqlState, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_owned(),
        state.code().to_owned(),
        message.into(),
    )))
}

/// A protocol violation (`08P01`) reported as `ERROR`.
pub fn protocol_violation(message: impl Into<String>) -> PgWireError {
    to_pgwire(&Error::new(SqlState::PROTOCOL_VIOLATION, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_every_field() {
        let e = Error::new(SqlState::UNDEFINED_TABLE, "relation \"t\" does not exist")
            .with_hint("create it first")
            .with_detail("d")
            .with_position(15);
        let info = error_info(&e);
        assert_eq!(info.code, "42P01");
        assert_eq!(info.severity, "ERROR");
        assert_eq!(info.hint.as_deref(), Some("create it first"));
        assert_eq!(info.detail.as_deref(), Some("d"));
        assert_eq!(info.position.as_deref(), Some("15"));
    }

    #[test]
    fn carries_the_routine_place() {
        let e = Error::new(SqlState::UNDEFINED_COLUMN, "column \"x\" does not exist")
            .with_anchor(1, 8, "x")
            .locate_internal("SELECT x + 1", "x + 1", 7)
            .with_context_line("PL/pgSQL function f() line 3 at RETURN");
        let info = error_info(&e);
        assert_eq!(info.position, None);
        assert_eq!(info.internal_query.as_deref(), Some("x + 1"));
        assert_eq!(info.internal_position.as_deref(), Some("1"));
        assert_eq!(info.where_context.as_deref(), Some("PL/pgSQL function f() line 3 at RETURN"));
    }
}
