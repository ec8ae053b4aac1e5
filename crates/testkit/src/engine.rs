//! The SQL session a runner drives.
//!
//! An [`Engine`] runs one SQL text (one or more `;`-separated statements, simple query
//! protocol semantics) and returns either rows, already formatted as text, or a
//! completion with its row count. Implementations: the `heliosdb-nano` embedded API
//! ([`crate::nano`]) and a real PostgreSQL server (`crate::postgres_engine`).

use std::fmt;

use sqllogictest::DefaultColumnType;

use crate::format::OutputFormat;

/// What one SQL text produced: the result of its last statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineOutput {
    /// A statement that returns rows (possibly none).
    Rows {
        /// The sqllogictest type letter of each column, from the column's data type.
        types: Vec<DefaultColumnType>,
        /// The values, formatted for the requested output style.
        rows: Vec<Vec<String>>,
    },
    /// A statement without rows, with the number of rows it affected.
    Complete(u64),
}

/// Why running a SQL text failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The database reported an error (the expected outcome of `statement error`).
    Sql {
        /// The SQLSTATE code, when the engine reports one.
        sqlstate: Option<String>,
        /// The primary message.
        message: String,
    },
    /// The engine panicked while running the statement. Always a bug.
    Panic(String),
    /// The statement did not finish within the timeout.
    Timeout(std::time::Duration),
    /// An earlier statement hung or killed the engine; nothing more can run.
    Dead(String),
}

impl EngineError {
    /// A SQL error with a SQLSTATE.
    pub fn sql(sqlstate: impl Into<String>, message: impl Into<String>) -> EngineError {
        EngineError::Sql { sqlstate: Some(sqlstate.into()), message: message.into() }
    }

    /// The SQLSTATE, for SQL errors.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            EngineError::Sql { sqlstate, .. } => sqlstate.as_deref(),
            _ => None,
        }
    }

    /// Whether this error means the engine is broken (panic, hang) rather than that the
    /// statement was rejected.
    pub fn is_engine_failure(&self) -> bool {
        !matches!(self, EngineError::Sql { .. })
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The SQLSTATE is part of the text so `statement error 42P01` (regex) works as
            // well as the `statement error (42P01)` form.
            EngineError::Sql { sqlstate: Some(state), message } => write!(f, "{state}: {message}"),
            EngineError::Sql { sqlstate: None, message } => write!(f, "{message}"),
            EngineError::Panic(msg) => write!(f, "engine panicked: {msg}"),
            EngineError::Timeout(d) => write!(f, "statement timed out after {d:?}"),
            EngineError::Dead(why) => write!(f, "engine unusable: {why}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// A way to interrupt the statement an engine is running, from another thread.
pub type Canceller = Box<dyn Fn() + Send + Sync>;

/// One SQL session.
pub trait Engine: Send {
    /// A short name for reports (`heliosdb-nano/memory`, `postgresql`).
    fn name(&self) -> String;

    /// Runs one SQL text and returns the outcome of its last statement.
    fn run(&mut self, sql: &str, format: &OutputFormat) -> Result<EngineOutput, EngineError>;

    /// A handle that cancels the running statement, if the engine supports it.
    fn canceller(&self) -> Option<Canceller> {
        None
    }
}
