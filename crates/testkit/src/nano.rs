//! The `heliosdb-nano` engine: a [`Connection`] driven through the public embedded API.
//!
//! - `memory`: [`Database::open_in_memory`].
//! - `disk`: [`Database::open`] on a new temporary directory, removed when the file is
//!   done.
//!
//! Each SQL text goes through [`Connection::execute_batch`] (simple query protocol
//! semantics); the result of the last statement is what the test sees.

use heliosdb_nano::{Connection, DataType, Database, Options, StatementResult, Value};
use sqllogictest::DefaultColumnType;

use crate::engine::{Canceller, Engine, EngineError, EngineOutput};
use crate::format::{
    column_type_for, pg_text_cell, sqlite_cell, Cell, OutputFormat, OutputStyle, TypeFamily,
};
use crate::runner::ConnectionFactory;

/// Whatever must stay alive while a database is used (its temporary directory).
pub type Keep = Box<dyn std::any::Any>;

/// A fresh database on engine `kind` (`memory` or `disk`): a session factory plus what
/// must stay alive while it is used.
pub fn fresh_database(kind: &str) -> Result<(ConnectionFactory, Keep), String> {
    match kind {
        "memory" => {
            let db = Database::open_in_memory().map_err(|e| e.to_string())?;
            Ok((factory(db, "memory"), Box::new(())))
        }
        "disk" => {
            let dir = tempfile::tempdir().map_err(|e| format!("cannot create a directory: {e}"))?;
            let db = Database::open(dir.path(), Options::default()).map_err(|e| e.to_string())?;
            Ok((factory(db, "disk"), Box::new(dir)))
        }
        other => Err(format!("unknown engine {other:?} (memory, disk, postgres)")),
    }
}

fn factory(db: Database, kind: &'static str) -> ConnectionFactory {
    Box::new(move || Ok(Box::new(NanoEngine { conn: db.connect(), kind }) as Box<dyn Engine>))
}

/// One `heliosdb-nano` session.
pub struct NanoEngine {
    conn: Connection,
    kind: &'static str,
}

impl std::fmt::Debug for NanoEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NanoEngine").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl NanoEngine {
    /// The session's TimeZone with its DateStyle and IntervalStyle.
    fn session_zone(&self) -> helios_types::TimeZone {
        let zone = self
            .conn
            .setting("TimeZone")
            .and_then(|z| helios_types::TimeZone::parse(&z).ok())
            .unwrap_or(helios_types::TimeZone::UTC);
        zone.with_style(helios_types::DateStyle::from_settings(
            self.conn.setting("DateStyle").as_deref(),
            self.conn.setting("IntervalStyle").as_deref(),
        ))
    }
}

impl Engine for NanoEngine {
    fn name(&self) -> String {
        format!("heliosdb-nano/{}", self.kind)
    }

    fn run(&mut self, sql: &str, format: &OutputFormat) -> Result<EngineOutput, EngineError> {
        let outcome = self.conn.execute_batch(sql);
        if let Some(e) = outcome.error {
            return Err(EngineError::sql(e.sqlstate().code(), e.message()));
        }
        Ok(match outcome.results.last() {
            None => EngineOutput::Complete(0),
            Some(StatementResult::Command { rows_affected, .. }) => {
                EngineOutput::Complete(*rows_affected)
            }
            Some(StatementResult::Rows(q)) => {
                let zone = self.session_zone();
                EngineOutput::Rows {
                    types: q.columns.iter().map(|c| column_type(&c.data_type)).collect(),
                    rows: q
                        .rows
                        .iter()
                        .map(|row| {
                            row.iter()
                                .enumerate()
                                .map(|(i, v)| format_value_in(v, i, format, &zone))
                                .collect()
                        })
                        .collect(),
                }
            }
        })
    }

    fn canceller(&self) -> Option<Canceller> {
        let handle = self.conn.cancel_handle();
        Some(Box::new(move || handle.cancel()))
    }
}

/// The sqllogictest type letter of a column type.
pub fn column_type(ty: &DataType) -> DefaultColumnType {
    column_type_for(match ty {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => TypeFamily::Integer,
        DataType::Float4 | DataType::Float8 | DataType::Numeric(_) => TypeFamily::Float,
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => TypeFamily::Text,
        _ => TypeFamily::Other,
    })
}

/// One value as result text in the run's style.
pub fn format_value(v: &Value, column: usize, format: &OutputFormat) -> String {
    format_value_in(v, column, format, &helios_types::TimeZone::UTC)
}

/// One value as result text in the run's style, date/time values shown in `zone` and
/// the DateStyle / IntervalStyle it carries (as a server shows them to psql).
pub fn format_value_in(
    v: &Value,
    column: usize,
    format: &OutputFormat,
    zone: &helios_types::TimeZone,
) -> String {
    match format.style {
        OutputStyle::PgText => match v {
            Value::Null => pg_text_cell(None),
            other => pg_text_cell(Some(&other.to_pg_text_tz(zone))),
        },
        OutputStyle::Sqlite => sqlite_cell(&to_cell(v), format.expected(column)),
    }
}

fn to_cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Int2(i) => Cell::Int(i64::from(*i)),
        Value::Int4(i) => Cell::Int(i64::from(*i)),
        Value::Int8(i) => Cell::Int(*i),
        Value::Float4(f) => Cell::Float(f64::from(*f)),
        Value::Float8(f) => Cell::Float(*f),
        Value::Numeric(_) => Cell::Decimal(v.to_pg_text()),
        Value::Text(s) => Cell::Text(s.clone()),
        other => Cell::Other(other.to_pg_text()),
    }
}
