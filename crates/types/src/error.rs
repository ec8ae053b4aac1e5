//! The error enum of `helios-types`, converted into [`helios_common::Error`] at the
//! crate's public boundary.
//!
//! Messages follow PostgreSQL's wording exactly where clients may match on them
//! (`invalid input syntax for type integer: "abc"`, `smallint out of range`, ...).

use helios_common::{Error, SqlState};

/// What can go wrong while parsing, casting, comparing or decoding values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TypeError {
    /// `22P02`: text that is not a valid literal of a non-datetime type.
    #[error("invalid input syntax for type {ty}: \"{input}\"")]
    InvalidSyntax {
        /// PostgreSQL's name of the type, e.g. `integer`.
        ty: String,
        /// The offending input.
        input: String,
    },
    /// `22007`: text that is not a valid date, time, timestamp or interval.
    #[error("invalid input syntax for type {ty}: \"{input}\"")]
    InvalidDatetime {
        /// PostgreSQL's name of the type, e.g. `date`.
        ty: String,
        /// The offending input.
        input: String,
    },
    /// `22003`: a literal whose value does not fit the type.
    #[error("value \"{input}\" is out of range for type {ty}")]
    InputOutOfRange {
        /// PostgreSQL's name of the type.
        ty: String,
        /// The offending input.
        input: String,
    },
    /// `22003`: any other numeric overflow (`smallint out of range`, ...).
    #[error("{message}")]
    OutOfRange {
        /// The full message.
        message: String,
        /// Optional DETAIL line.
        detail: Option<String>,
    },
    /// `22008`: a date/time field or result outside the supported range.
    #[error("{0}")]
    DatetimeOverflow(String),
    /// `22008`: a month or day field out of range, which a different DateStyle field
    /// order might read correctly (reported with PostgreSQL's hint).
    #[error("date/time field value out of range: \"{0}\"")]
    DatetimeOrderOverflow(String),
    /// `22001`: a string longer than `varchar(n)` / `char(n)` on assignment.
    #[error("value too long for type {0}")]
    TooLong(String),
    /// `42846`: no cast exists between the two types.
    #[error("cannot cast type {from} to {to}")]
    CannotCast {
        /// Source type name.
        from: String,
        /// Target type name.
        to: String,
    },
    /// Any other error with an explicit SQLSTATE (e.g. `malformed array literal`).
    #[error("{message}")]
    Other {
        /// The SQLSTATE to report.
        state: SqlState,
        /// The full message.
        message: String,
        /// Optional DETAIL line.
        detail: Option<String>,
    },
    /// `XX001`: stored bytes that do not decode.
    #[error("{0}")]
    Corrupted(String),
}

impl TypeError {
    /// `22P02 invalid input syntax for type {ty}: "{input}"`.
    pub fn syntax(ty: impl Into<String>, input: &str) -> TypeError {
        TypeError::InvalidSyntax { ty: ty.into(), input: input.to_string() }
    }

    /// `22007 invalid input syntax for type {ty}: "{input}"`.
    pub fn datetime(ty: impl Into<String>, input: &str) -> TypeError {
        TypeError::InvalidDatetime { ty: ty.into(), input: input.to_string() }
    }

    /// `22008 date/time field value out of range: "{input}"`.
    pub fn field_range(input: &str) -> TypeError {
        TypeError::DatetimeOverflow(format!("date/time field value out of range: \"{input}\""))
    }

    /// `22003` with the given message.
    pub fn out_of_range(message: impl Into<String>) -> TypeError {
        TypeError::OutOfRange { message: message.into(), detail: None }
    }

    /// An error with an explicit SQLSTATE.
    pub fn other(state: SqlState, message: impl Into<String>) -> TypeError {
        TypeError::Other { state, message: message.into(), detail: None }
    }

    /// Adds a DETAIL line (kept only by the variants that carry one).
    pub fn with_detail(self, detail: impl Into<String>) -> TypeError {
        match self {
            TypeError::OutOfRange { message, .. } => {
                TypeError::OutOfRange { message, detail: Some(detail.into()) }
            }
            TypeError::Other { state, message, .. } => {
                TypeError::Other { state, message, detail: Some(detail.into()) }
            }
            other => other,
        }
    }

    /// The SQLSTATE PostgreSQL reports for this error.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            TypeError::InvalidSyntax { .. } => SqlState::INVALID_TEXT_REPRESENTATION,
            TypeError::InvalidDatetime { .. } => SqlState::INVALID_DATETIME_FORMAT,
            TypeError::InputOutOfRange { .. } | TypeError::OutOfRange { .. } => {
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE
            }
            TypeError::DatetimeOverflow(_) | TypeError::DatetimeOrderOverflow(_) => {
                SqlState::DATETIME_FIELD_OVERFLOW
            }
            TypeError::TooLong(_) => SqlState::STRING_DATA_RIGHT_TRUNCATION,
            TypeError::CannotCast { .. } => SqlState::CANNOT_COERCE,
            TypeError::Other { state, .. } => *state,
            TypeError::Corrupted(_) => SqlState::DATA_CORRUPTED,
        }
    }
}

impl From<TypeError> for Error {
    fn from(e: TypeError) -> Error {
        let state = e.sqlstate();
        let detail = match &e {
            TypeError::OutOfRange { detail, .. } | TypeError::Other { detail, .. } => {
                detail.clone()
            }
            _ => None,
        };
        let mut err = Error::new(state, e.to_string());
        if let TypeError::DatetimeOrderOverflow(_) = e {
            err = err.with_hint("Perhaps you need a different \"datestyle\" setting.");
        }
        match detail {
            Some(d) => err.with_detail(d),
            None => err,
        }
    }
}

/// Result alias used inside the crate.
pub type TypeResult<T> = std::result::Result<T, TypeError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_sqlstate_and_detail() {
        let e: Error = TypeError::syntax("integer", "abc").into();
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(e.message(), "invalid input syntax for type integer: \"abc\"");
        let e: Error = TypeError::out_of_range("numeric field overflow").with_detail("d").into();
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(e.detail(), Some("d"));
    }
}
