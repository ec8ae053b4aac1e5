//! What a statement returns.

use std::borrow::Cow;

use helios_types::{DataType, Value};

/// A result column: name and type.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name as PostgreSQL reports it.
    pub name: String,
    /// Column type.
    pub data_type: DataType,
}

/// Rows returned by a statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    /// Result columns.
    pub columns: Vec<Column>,
    /// The rows.
    pub rows: Vec<Vec<Value>>,
    /// The command tag, e.g. `SELECT 3` or `INSERT 0 1` (with RETURNING).
    pub tag: String,
}

/// The outcome of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementResult {
    /// A statement that returns rows.
    Rows(QueryResult),
    /// A statement that returns no rows.
    Command {
        /// PostgreSQL's CommandComplete tag: `INSERT 0 3`, `UPDATE 2`, `CREATE TABLE`
        /// (borrowed when constant, so the one-row INSERT of a load allocates none).
        tag: Cow<'static, str>,
        /// Rows inserted, updated, deleted (0 for other commands).
        rows_affected: u64,
    },
}

impl StatementResult {
    /// A command result without a row count.
    pub fn command(tag: impl Into<Cow<'static, str>>) -> StatementResult {
        StatementResult::Command { tag: tag.into(), rows_affected: 0 }
    }

    /// The command tag.
    pub fn tag(&self) -> &str {
        match self {
            StatementResult::Rows(q) => &q.tag,
            StatementResult::Command { tag, .. } => tag,
        }
    }

    /// Rows affected (DML) or returned (queries).
    pub fn rows_affected(&self) -> u64 {
        match self {
            StatementResult::Rows(q) => q.rows.len() as u64,
            StatementResult::Command { rows_affected, .. } => *rows_affected,
        }
    }
}

/// The transaction state of a session, as reported in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// Not in a transaction block.
    Idle,
    /// In a transaction block.
    InTransaction,
    /// In a failed transaction block: statements are rejected until ROLLBACK.
    Failed,
}
